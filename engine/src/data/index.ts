export { Dataset, IterableDataset, TensorDataset, Subset, type BatchFetcher } from "./dataset.ts";
export { DataLoader, type DataLoaderOptions } from "./dataloader.ts";
export { defaultCollate } from "./collate.ts";
export { randomSplit } from "./random-split.ts";

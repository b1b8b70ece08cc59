/** The real-model suite for other packages (the bench's --models mode): its models, the cache that fetches them, their inputs. Node only. */
export { fetchModel, modelCacheDir, REAL_MODELS, type RealModel } from "./cache.ts";
export { onnxruntimeFeeds, polychipFeeds, type RealModelFeeds } from "./feeds.ts";
export { REAL_MODEL_INPUTS } from "./inputs.ts";

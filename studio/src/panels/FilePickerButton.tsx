import { useRef } from "react";

/** Every file type the page accepts by drop, for pickers that offer them all. */
export const ANY_STUDIO_FILE = ".onnx,.pcm,.pcck,.csv,.tsv,.gz,.ts,.js,application/octet-stream";

/**
 * A button that opens the system file picker: the keyboard and touch way to load what can also be
 * dropped on the page.
 */
export function FilePickerButton({
  label,
  accept,
  onFiles,
  testId,
  className,
}: {
  label: string;
  accept: string;
  onFiles(files: FileList): void;
  testId?: string;
  className?: string;
}) {
  const input = useRef<HTMLInputElement | null>(null);
  return (
    <>
      <button type="button" className={className} onClick={() => input.current?.click()} data-testid={testId}>
        {label}
      </button>
      <input
        ref={input}
        type="file"
        multiple
        accept={accept}
        hidden
        aria-hidden="true"
        tabIndex={-1}
        data-testid={testId ? `${testId}-input` : undefined}
        onChange={(e) => {
          if (e.target.files?.length) onFiles(e.target.files);
          e.target.value = "";
        }}
      />
    </>
  );
}

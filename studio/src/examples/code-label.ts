/** The header's name for what the editor holds: the example's title only while it is still that example. */
export function codeLabel(code: string, example: { title: string; code: string } | undefined): string {
  if (!example) return "your code";
  if (code === example.code) return example.title;
  const firstLine = (text: string) => text.split("\n", 1)[0]!.trim();
  return firstLine(code) === firstLine(example.code) ? `${example.title} (edited)` : "your code";
}

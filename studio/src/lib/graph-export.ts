/**
 * The graph view's drawing as a standalone SVG (styles inlined, since the page's stylesheet and
 * theme variables do not travel with the file) and as a PNG rendered from that SVG.
 */

/** Presentation properties the graph's classes set in styles.css. */
const STYLED = ["fill", "stroke", "stroke-width", "stroke-dasharray", "opacity", "font-family", "font-size", "font-weight"] as const;

/**
 * Standalone SVG markup of `svg` at its natural size (`width` × `height`, pan and zoom undone),
 * on the page's background colour.
 */
export function standaloneSvg(svg: SVGSVGElement, width: number, height: number, background: string): string {
  const clone = svg.cloneNode(true) as SVGSVGElement;
  const originals = svg.querySelectorAll("*");
  clone.querySelectorAll("*").forEach((el, i) => {
    const css = getComputedStyle(originals[i]!);
    const style = STYLED.map((p) => `${p}:${css.getPropertyValue(p)}`).join(";");
    el.setAttribute("style", style);
    // Theme variables mean nothing outside the page; the inlined style has their values.
    for (const attr of [...el.attributes]) if (attr.value.includes("var(")) el.removeAttribute(attr.name);
    el.removeAttribute("class");
    el.removeAttribute("tabindex");
    el.removeAttribute("role");
  });
  clone.querySelector("[data-testid=graph-viewport]")?.setAttribute("transform", "");
  clone.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  clone.setAttribute("width", String(width));
  clone.setAttribute("height", String(height));
  clone.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const bg = document.createElementNS("http://www.w3.org/2000/svg", "rect");
  bg.setAttribute("width", "100%");
  bg.setAttribute("height", "100%");
  bg.setAttribute("fill", background);
  clone.insertBefore(bg, clone.firstChild);
  return new XMLSerializer().serializeToString(clone);
}

/** Renders SVG markup to PNG bytes at `scale` pixels per unit. */
export async function svgToPng(markup: string, width: number, height: number, scale = 2): Promise<Uint8Array> {
  const image = new Image();
  image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(markup)}`;
  await image.decode();
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  const ctx = canvas.getContext("2d")!;
  ctx.scale(scale, scale);
  ctx.drawImage(image, 0, 0, width, height);
  const blob = await new Promise<Blob>((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("the PNG could not be encoded"))), "image/png"),
  );
  return new Uint8Array(await blob.arrayBuffer());
}

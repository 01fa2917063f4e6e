/**
 * Export of the current view: its SVG charts and canvases composed into one standalone SVG (theme colours resolved
 * from the page and written as presentation attributes, canvases embedded as PNG images), and PNG by rasterising
 * that SVG through a blob: image.
 */
const SVG_NS = 'http://www.w3.org/2000/svg';
const COPIED = ['fill', 'stroke', 'stroke-width', 'stroke-dasharray', 'font-size', 'font-family', 'font-weight', 'opacity', 'visibility'];

function inlineStyles(source: Element, target: Element): void {
  const cs = getComputedStyle(source);
  for (const p of COPIED) {
    const v = cs.getPropertyValue(p);
    if (v) target.setAttribute(p, v);
  }
  const a = source.children, b = target.children;
  for (let i = 0; i < a.length; i++) inlineStyles(a[i], b[i]);
}

export function composeSvg(root: HTMLElement, title: string): { svg: string; width: number; height: number } {
  const base = root.getBoundingClientRect();
  const parts = [...root.querySelectorAll<SVGSVGElement | HTMLCanvasElement>('svg, canvas')]
    .filter((el) => !(el instanceof SVGSVGElement && el.parentElement?.closest('svg')))
    .filter((el) => el.getBoundingClientRect().width > 0 && getComputedStyle(el).visibility !== 'hidden');
  const out = document.createElementNS(SVG_NS, 'svg');
  out.setAttribute('xmlns', SVG_NS);
  const bg = getComputedStyle(document.body).backgroundColor || 'white';
  const fg = getComputedStyle(document.body).color || 'black';
  let width = 0, height = 24;
  const rect = out.appendChild(document.createElementNS(SVG_NS, 'rect'));
  rect.setAttribute('fill', bg);
  const heading = out.appendChild(document.createElementNS(SVG_NS, 'text'));
  heading.setAttribute('x', '4');
  heading.setAttribute('y', '16');
  heading.setAttribute('fill', fg);
  heading.setAttribute('font-family', getComputedStyle(document.body).fontFamily);
  heading.textContent = title;
  for (const el of parts) {
    const r = el.getBoundingClientRect();
    const x = r.left - base.left, y = r.top - base.top + 24;
    let node: Element;
    if (el instanceof HTMLCanvasElement) {
      node = document.createElementNS(SVG_NS, 'image');
      node.setAttribute('href', el.toDataURL('image/png'));
      node.setAttribute('width', String(r.width));
      node.setAttribute('height', String(r.height));
      node.setAttribute('image-rendering', 'pixelated');
    } else {
      node = el.cloneNode(true) as Element;
      inlineStyles(el, node);
      node.setAttribute('width', String(r.width));
      node.setAttribute('height', String(r.height));
    }
    node.setAttribute('x', String(x));
    node.setAttribute('y', String(y));
    out.appendChild(node);
    width = Math.max(width, x + r.width);
    height = Math.max(height, y + r.height);
  }
  width = Math.ceil(width + 4);
  height = Math.ceil(height + 4);
  out.setAttribute('width', String(width));
  out.setAttribute('height', String(height));
  out.setAttribute('viewBox', `0 0 ${width} ${height}`);
  rect.setAttribute('width', String(width));
  rect.setAttribute('height', String(height));
  return { svg: new XMLSerializer().serializeToString(out), width, height };
}

export async function svgToPng(svg: string, width: number, height: number): Promise<string> {
  const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    canvas.getContext('2d')!.drawImage(img, 0, 0);
    return canvas.toDataURL('image/png');
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** Small builders for @vscode-elements controls, so views create them the same way. */
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-label/index.js';

export interface SelectHandle {
  element: HTMLElement & { value: string };
  setOptions(options: { value: string; label: string }[], value: string): void;
  setValue(value: string): void;
}

export function labelledSelect(parent: HTMLElement, label: string, id: string, onChange: (value: string) => void): SelectHandle {
  const wrap = parent.appendChild(document.createElement('span'));
  wrap.className = 'control';
  const l = wrap.appendChild(document.createElement('vscode-label'));
  l.setAttribute('for', id);
  l.textContent = label;
  const element = wrap.appendChild(document.createElement('vscode-single-select')) as unknown as HTMLElement & { value: string };
  element.id = id;
  element.setAttribute('aria-label', label);
  element.addEventListener('change', () => onChange(element.value));
  let current = '';
  return {
    element,
    setOptions(options, value) {
      const key = options.map((o) => `${o.value}:${o.label}`).join('|');
      if (key !== current) {
        current = key;
        element.replaceChildren(...options.map((o) => {
          const opt = document.createElement('vscode-option');
          opt.setAttribute('value', o.value);
          opt.textContent = o.label;
          return opt;
        }));
      }
      element.value = value;
    },
    setValue(value) {
      element.value = value;
    },
  };
}

export function button(parent: HTMLElement, text: string, ariaLabel: string, onClick: () => void, secondary = true): HTMLElement {
  const b = parent.appendChild(document.createElement('vscode-button'));
  b.textContent = text;
  b.setAttribute('aria-label', ariaLabel);
  if (secondary) b.setAttribute('secondary', '');
  b.addEventListener('click', onClick);
  return b;
}

/** A native range input (vscode-elements 2.5 has no slider), labelled for screen readers. */
export function slider(parent: HTMLElement, label: string, min: number, max: number, step: number, value: number, onInput: (v: number) => void): { input: HTMLInputElement; output: HTMLOutputElement } {
  const wrap = parent.appendChild(document.createElement('label'));
  wrap.className = 'control slider';
  wrap.append(label + ' ');
  const input = wrap.appendChild(document.createElement('input'));
  input.type = 'range';
  input.min = String(min);
  input.max = String(max);
  input.step = String(step);
  input.value = String(value);
  input.setAttribute('aria-label', label);
  const output = wrap.appendChild(document.createElement('output'));
  output.textContent = String(value);
  input.addEventListener('input', () => {
    output.textContent = input.value;
    onInput(Number(input.value));
  });
  return { input, output };
}

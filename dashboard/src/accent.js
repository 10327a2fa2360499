// The dashboard's accent color: settings.meta.accentColor (as PocketBase's dashboard uses it),
// applied to the buttons, links, selections and charts of both color schemes. The last one seen
// is kept in localStorage so the sign-in page (which cannot read the settings) shows it too.
const KEY = "pb_accent_color";

function rgb(hex) {
  const m = /^#?([0-9a-f]{6})$/i.exec(hex || "");
  if (!m) return null;
  const n = parseInt(m[1], 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function luminance([r, g, b]) {
  const lin = (c) => {
    const v = c / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

const mix = (a, b, t) => a.map((v, i) => Math.round(v * (1 - t) + b[i] * t));
const css = (c) => `rgb(${c.join(" ")})`;

/** CSS custom properties for an accent color, or "" when the color is not #rrggbb. */
export function accentCss(hex) {
  const color = rgb(hex);
  if (!color) return "";
  const white = [255, 255, 255];
  // dark scheme: lightened until dark text reads well on it
  let dark = color;
  for (let t = 0; luminance(dark) < 0.3 && t <= 1; t += 0.05) dark = mix(color, white, t);
  const lightText = luminance(color) > 0.45 ? "#111418" : "#fff";
  return `:root { --primary: ${css(color)}; --primary-text: ${lightText}; --primary-soft: ${css(mix(color, white, 0.86))}; }
@media (prefers-color-scheme: dark) { :root { --primary: ${css(dark)}; --primary-text: #0b0d10; --primary-soft: ${css(mix(color, [23, 26, 32], 0.7))}; } }`;
}

/** Apply (and remember) the accent color. */
export function applyAccent(hex) {
  const text = accentCss(hex);
  let style = document.getElementById("accent-color");
  if (!style) {
    style = document.createElement("style");
    style.id = "accent-color";
    document.head.appendChild(style);
  }
  style.textContent = text;
  try {
    if (text) localStorage.setItem(KEY, hex);
  } catch {}
}

/** The remembered accent, applied at start. */
export function applyStoredAccent() {
  try {
    const hex = localStorage.getItem(KEY);
    if (hex) applyAccent(hex);
  } catch {}
}

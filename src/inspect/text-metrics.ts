/**
 * Text widths for laying out SVG without a browser to measure in. The SVGs ask for Helvetica,
 * Arial or Liberation Sans, which share one set of metrics (Liberation Sans was made metric-compatible
 * with Arial, and Arial with Helvetica), so the widths below — Helvetica's advance widths from its
 * Adobe font metrics, in thousandths of an em — hold wherever the SVG is shown.
 */
export const SANS_FONT = `Helvetica, Arial, 'Liberation Sans', sans-serif`;
export const MONO_FONT = `ui-monospace, Menlo, Consolas, 'Liberation Mono', monospace`;

const REGULAR: Record<string, number> = widths(
  ` 278 !278 "355 #556 $556 %889 &667 '191 (333 )333 *389 +584 ,278 -333 .278 /278 :278 ;278 <584 =584 >584 ?556 @1015 ` +
    `A667 B667 C722 D722 E667 F611 G778 H722 I278 J500 K667 L556 M833 N722 O778 P667 Q778 R722 S667 T611 U722 V667 W944 X667 Y667 Z611 ` +
    `[278 \\278 ]278 ^469 _556 \`333 a556 b556 c500 d556 e556 f278 g556 h556 i222 j222 k500 l222 m833 n556 o556 p556 q556 r333 s500 t278 ` +
    `u556 v500 w722 x500 y500 z500 {334 |260 }334 ~584`,
);

const BOLD: Record<string, number> = widths(
  ` 278 !333 "474 #556 $556 %889 &722 '238 (333 )333 *389 +584 ,278 -333 .278 /278 :333 ;333 <584 =584 >584 ?611 @975 ` +
    `A722 B722 C722 D722 E667 F611 G778 H722 I278 J556 K722 L611 M833 N722 O778 P667 Q778 R722 S667 T611 U722 V667 W944 X667 Y667 Z611 ` +
    `[333 \\278 ]333 ^584 _556 \`333 a556 b611 c556 d611 e556 f333 g611 h611 i278 j278 k556 l278 m889 n611 o611 p611 q611 r389 s556 t333 ` +
    `u611 v556 w778 x556 y556 z500 {389 |280 }389 ~584`,
);

/** `a556 b611 …` (the space's own entry is ` 278`) as a table from character to width. */
function widths(spec: string): Record<string, number> {
  const table: Record<string, number> = { ' ': Number(spec.slice(1, 4)) };
  for (const entry of spec.slice(5).split(' ')) if (entry) table[entry[0]!] = Number(entry.slice(1));
  for (let digit = 0; digit <= 9; digit++) table[String(digit)] = 556;
  return table;
}

/** The width in pixels of `text` set in the sans font at `size` pixels. */
export function textWidth(text: string, size: number, weight: 'normal' | 'bold' = 'normal'): number {
  const table = weight === 'bold' ? BOLD : REGULAR;
  let thousandths = 0;
  for (const char of text) thousandths += table[char] ?? wideCharWidth(char);
  return (thousandths * size) / 1000;
}

/** Characters outside ASCII: symbols such as → and ✗ about an em's two thirds, emoji a full em. */
function wideCharWidth(char: string): number {
  const code = char.codePointAt(0)!;
  if (code >= 0x1f000 || (code >= 0x2600 && code <= 0x27bf) || code === 0x23f0) return 1000;
  if (code >= 0x0300 && code <= 0x036f) return 0;
  return 667;
}

// The two-step set-up's QR code, encoded by uqr (a maintained QR encoder) and drawn here as
// one SVG path of dark modules, with the standard four-module quiet zone around it.
import { encode } from "uqr";

const QUIET = 4;

export function qrPath(text: string): { path: string; size: number } {
  // `border: 0`: the quiet zone is added here, the same for every version.
  const { data, size } = encode(text, { ecc: "M", border: 0 });
  let path = "";
  data.forEach((row, y) =>
    row.forEach((dark, x) => {
      if (dark) path += `M${x + QUIET} ${y + QUIET}h1v1h-1z`;
    }),
  );
  return { path, size: size + QUIET * 2 };
}

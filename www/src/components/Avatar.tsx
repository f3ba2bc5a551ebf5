import type { ReactNode } from "react";

const HUES = [12, 38, 150, 190, 215, 260, 290, 330];

function hue(name: string): number {
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return HUES[h % HUES.length] ?? 215;
}

/** A round badge with the name's initials, in a colour derived from the name. */
export function Avatar({ name, size = 32 }: { name: string; size?: number }): ReactNode {
  const initials = name
    .split(/[\s-]+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0]?.toUpperCase() ?? "")
    .join("");
  return (
    <span
      className="avatar"
      style={{ width: size, height: size, fontSize: size * 0.4, background: `hsl(${hue(name)} 60% 45%)` }}
      aria-hidden="true"
    >
      {initials || "?"}
    </span>
  );
}

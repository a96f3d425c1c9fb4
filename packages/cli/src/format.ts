/**
 * Small text helpers shared by the renderers. Times are always UTC ISO-8601: the audit log is
 * read on machines in different zones and compared with server logs, which are in UTC.
 */

/** `1234567` → `"1,234,567"` (fixed locale, so output does not depend on the machine). */
export function formatCount(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** Epoch ms → `2026-11-23T10:00:05Z` (milliseconds shown only when not zero). */
export function iso(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}

/** Milliseconds → `"60s"`, `"1m30s"`, `"7d"`, `"250ms"`: the shortest exact spelling. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, size] of [["d", 86_400], ["h", 3_600], ["m", 60], ["s", 1]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join("");
}

/** Cuts `text` to `width` characters, marking the cut with `…`. */
export function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/**
 * Lays out `label  value` with the value wrapped at `width`; continuation lines are indented
 * under the value. Items of a list are never split across lines.
 */
export function field(label: string, items: string | readonly string[], indent: number, labelWidth: number, width: number): string {
  const head = `${" ".repeat(indent)}${label.padEnd(labelWidth)}  `;
  const pad = " ".repeat(head.length);
  const room = Math.max(8, width - head.length);
  const list = typeof items === "string" ? [items] : items;
  const lines: string[] = [];
  let current = "";
  for (const [i, item] of list.entries()) {
    const piece = i < list.length - 1 ? `${item},` : item;
    if (piece.length > room) {
      // Longer than a line (a 64-hex fingerprint, a long path): split it, never overflow.
      if (current !== "") lines.push(current);
      for (let at = 0; at < piece.length; at += room) lines.push(piece.slice(at, at + room));
      current = lines.pop()!;
    } else if (current !== "" && current.length + 1 + piece.length > room) {
      lines.push(current);
      current = piece;
    } else {
      current = current === "" ? piece : `${current} ${piece}`;
    }
  }
  lines.push(current);
  return lines.map((l, i) => (i === 0 ? head : pad) + l).join("\n");
}

/** Wraps prose at `width`, every line indented by `indent` spaces. */
export function wrapText(text: string, width: number, indent: number): string {
  const pad = " ".repeat(indent);
  const lines: string[] = [];
  let current = "";
  const room = Math.max(8, width - indent);
  // A word longer than a line (a 64-hex fingerprint, a long scope) is split, never overflowing.
  const words = text.split(/\s+/).filter(Boolean).flatMap((w) => (w.length <= room ? [w] : Array.from({ length: Math.ceil(w.length / room) }, (_, i) => w.slice(i * room, (i + 1) * room))));
  for (const word of words) {
    if (current !== "" && indent + current.length + 1 + word.length > width) {
      lines.push(pad + current);
      current = word;
    } else {
      current = current === "" ? word : `${current} ${word}`;
    }
  }
  if (current !== "") lines.push(pad + current);
  return lines.join("\n");
}

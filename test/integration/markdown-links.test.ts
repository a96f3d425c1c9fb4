/**
 * The repository documents itself: every relative link in every markdown file resolves to a file
 * or folder inside the repository (and, for `#anchors`, to a heading of the target), so a reader
 * of a fresh clone never follows a link into nothing or outside the repository.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const SKIP_DIRS = new Set(["node_modules", "dist", ".git", ".turbo", "coverage"]);

function markdownFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (SKIP_DIRS.has(name)) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) markdownFiles(p, out);
    else if (name.endsWith(".md")) out.push(p);
  }
  return out;
}

/** The text outside fenced code blocks and inline code, line by line (code is not a link). */
function proseLines(text: string): string[] {
  let fence: string | undefined;
  return text.split("\n").map((line) => {
    const f = /^\s*(```|~~~)/.exec(line);
    if (f) {
      fence = fence === undefined ? f[1] : fence === f[1] ? undefined : fence;
      return "";
    }
    return fence === undefined ? line.replace(/`[^`]*`/g, "") : "";
  });
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
export function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  let fence = false;
  for (const line of text.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) fence = !fence;
    const h = fence ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!h) continue;
    const plain = h[1]!.replace(/\[([^\]]*)\]\([^)]*\)/g, "$1");
    const base = plain.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

interface Link {
  file: string;
  line: number;
  target: string;
}

function linksOf(file: string): Link[] {
  const links: Link[] = [];
  proseLines(readFileSync(file, "utf8")).forEach((line, i) => {
    for (const m of line.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push({ file, line: i + 1, target: m[1]! });
    const ref = /^\s{0,3}\[[^\]]+\]:\s+<?(\S+?)>?(\s|$)/.exec(line);
    if (ref) links.push({ file, line: i + 1, target: ref[1]! });
  });
  return links;
}

/** Why `link` is dead, or undefined when it resolves. */
function deadReason(link: Link): string | undefined {
  const { target } = link;
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined; // https:, mailto:: not a file of ours
  const [rawPath, anchor] = target.split("#") as [string, string | undefined];
  const path = decodeURIComponent(rawPath);
  const resolved = path === "" ? link.file : resolve(dirname(link.file), path);
  const rel = relative(root, resolved);
  if (rel.startsWith("..") || rel.split(sep).includes("..")) return "points outside the repository";
  if (!existsSync(resolved)) return "no such file";
  if (anchor !== undefined && anchor !== "" && resolved.endsWith(".md") && !anchorsOf(readFileSync(resolved, "utf8")).has(anchor.toLowerCase())) {
    return `no heading #${anchor}`;
  }
  return undefined;
}

describe("markdown links", () => {
  const files = markdownFiles(root);

  it("finds the repository's markdown files", () => {
    expect(files.map((f) => relative(root, f))).toEqual(expect.arrayContaining(["README.md", "ARCHITECTURE.md", "DEVELOPERS.md", join("packages", "core", "README.md")]));
  });

  it("every relative link in every markdown file resolves inside the repository", () => {
    const dead = files.flatMap(linksOf).flatMap((l) => {
      const why = deadReason(l);
      return why === undefined ? [] : [`${relative(root, l.file)}:${l.line}: (${l.target}) ${why}`];
    });
    expect(dead).toEqual([]);
  });

  it("the checker itself fails on a dead link, a link outside the repository and a missing heading", () => {
    const file = join(root, "README.md");
    expect(deadReason({ file, line: 1, target: "NOPE.md" })).toBe("no such file");
    expect(deadReason({ file, line: 1, target: "../shared/DESIGN.md" })).toBe("points outside the repository");
    expect(deadReason({ file, line: 1, target: "DEVELOPERS.md#no-such-heading" })).toBe("no heading #no-such-heading");
    expect(deadReason({ file, line: 1, target: "DEVELOPERS.md" })).toBeUndefined();
    expect(anchorsOf("# `createIdempotency(options)`\n## Quick start\n## Quick start\n")).toEqual(new Set(["createidempotencyoptions", "quick-start", "quick-start-1"]));
  });
});

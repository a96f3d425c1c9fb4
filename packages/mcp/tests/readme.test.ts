/**
 * The README's ```ts snippet runs and prints what its comments say (test/support/readme-snippets.ts).
 * The ```ts fragment blocks use names of the code around them (a store, a handler) and need a
 * server process; the example under examples/mcp runs that setup.
 */
import { describe, expect, it } from "vitest";
import { itRunsEachSnippet, readmeSnippets } from "../../../test/support/readme-snippets.js";

const snippets = readmeSnippets(import.meta.url);

describe("README", () => {
  it("has one runnable snippet with both sides", () => {
    expect(snippets).toHaveLength(1);
    expect(snippets[0]).toContain("mcpServerIdempotency");
    expect(snippets[0]).toContain("forwardIdempotencyKey");
  });

  itRunsEachSnippet(snippets, import.meta.url);
});

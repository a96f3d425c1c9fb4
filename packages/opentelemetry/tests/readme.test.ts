/** The README's ```ts snippets run and print what their comments say (test/support/readme-snippets.ts). */
import { describe, expect, it } from "vitest";
import { itRunsEachSnippet, readmeSnippets } from "../../../test/support/readme-snippets.js";

const snippets = readmeSnippets(import.meta.url);

describe("README", () => {
  it("has one runnable snippet", () => {
    expect(snippets).toHaveLength(1);
  });

  itRunsEachSnippet(snippets, import.meta.url);
});

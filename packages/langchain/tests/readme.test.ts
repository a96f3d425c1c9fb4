/** The README's ```ts snippets run and print what their comments say (test/support/readme-snippets.ts). */
import { describe, expect, it } from "vitest";
import { itRunsEachSnippet, readmeSnippets } from "../../../test/support/readme-snippets.js";

const snippets = readmeSnippets(import.meta.url);

describe("README", () => {
  it("has a runnable snippet for each of the three exports, and one for the order among langchain's middleware", () => {
    expect(snippets).toHaveLength(4);
  });

  itRunsEachSnippet(snippets, import.meta.url);
});

/** The README's ```ts snippets run and print what their comments say (test/support/readme-snippets.ts). */
import { describe, expect, it } from "vitest";
import { itRunsEachSnippet, readmeSnippets } from "../../../test/support/readme-snippets.js";

const snippets = readmeSnippets(import.meta.url);

describe("README", () => {
  it("has a runnable snippet for the smallest example and one for the normalizers", () => {
    expect(snippets).toHaveLength(2);
  });

  itRunsEachSnippet(snippets, import.meta.url);
});

import { describe, expect, it } from "vitest";
import { parseCommand } from "../../../src/core/command-text.js";

const SHA = "0123456789abcdef0123456789abcdef01234567";

describe("parseCommand", () => {
  it.each([
    ["/reload", { name: "reload" }],
    ["/destroy", { name: "destroy" }],
    ["/deploy", { name: "deploy" }],
    ["Looks broken.\n/reload", { name: "reload" }],
    ["   /deploy", { name: "deploy" }],
    ["/deploy\r\nthanks", { name: "deploy" }],
    [`/deploy ${SHA}`, { name: "deploy", sha: SHA }],
    [`/deploy ${SHA.slice(0, 7).toUpperCase()}`, { name: "deploy", sha: SHA.slice(0, 7) }],
    ["/deploy please", { name: "deploy" }],
    ["/deploy 012345", { name: "deploy" }],
    ["/reload 0123456", { name: "reload" }],
    ["```\n/destroy\n```\n/reload", { name: "reload" }],
    ["<!-- /destroy -->\n/reload", { name: "reload" }],
  ])("reads %j as %j", (body, expected) => {
    expect(parseCommand(body)).toEqual(expected);
  });

  it.each([
    ["a fenced code block", "To deploy:\n```\n/deploy\n```"],
    ["a fenced block with a language", "```sh\n/destroy\n```"],
    ["a tilde fence", "~~~\n/deploy\n~~~"],
    ["a longer fence closed only by as long a one", "````\n```\n/deploy\n````"],
    ["an unclosed fence", "```\n/deploy"],
    ["an indented code block", "Like this:\n\n    /deploy"],
    ["a tab-indented block", "\t/deploy"],
    ["inline code", "`/deploy` is what a maintainer writes"],
    ["an HTML comment", "<!-- /deploy -->"],
    ["a multi-line HTML comment", "<!--\nhidden\n/deploy\n-->"],
    ["a quote", "> /deploy"],
    ["the middle of a sentence", "could we /reload later?"],
    ["a longer word", "/deployment is broken"],
    ["nothing", ""],
  ])("finds no command in %s", (_, body) => {
    expect(parseCommand(body)).toBeNull();
  });
});

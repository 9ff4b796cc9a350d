import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { isMtfError } from "../core/errors.js";
import { rankBodySchema } from "./api-schemas.js";
import { mutatedBody } from "./body-mutations.js";
import { parseRankBody } from "./rank-request.js";

const MAX = 8;

describe("rank body readers", () => {
  it("accept exactly what the documented zod schema accepts (no drift between /docs and the fast path)", () => {
    const documented = rankBodySchema(MAX);
    const outcomes = { accepted: 0, refused: 0 };
    fc.assert(
      fc.property(mutatedBody, (text) => {
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch {
          return; // malformed text never reaches the readers
        }
        const expected = documented.safeParse(value).success;
        let accepted = true;
        try {
          parseRankBody(value, MAX);
        } catch (error) {
          assert.ok(isMtfError(error), `a coded error, got ${String(error)}`);
          accepted = false;
        }
        assert.equal(accepted, expected, `${text}\nschema: ${expected}, reader: ${accepted}`);
        outcomes[accepted ? "accepted" : "refused"] += 1;
      }),
      { numRuns: 1000, seed: 42 },
    );
    assert.ok(outcomes.accepted > 100 && outcomes.refused > 100, JSON.stringify(outcomes));
  });
});

import { describe, expect, it } from "vitest";
import { reworkPins } from "./reworkPins";

const CAR = { x: 10, y: 10, w: 50, h: 40, label: "car" };
const PERSON = { x: 200, y: 100, w: 30, h: 80, label: "person" };

describe("reworkPins", () => {
  it("pins box comments on the rejected answer's boxes and region comments on their regions", () => {
    const pins = reworkPins(
      [
        { box: null, region: null, text: "whole answer" },
        { box: 1, region: null, text: "not a person" },
        { box: null, region: [500, 300, 50, 50], text: "missed car" },
        { box: 7, region: null, text: "a box that is not there" },
      ],
      { boxes: [CAR, PERSON] },
    );
    expect(pins).toEqual([
      { number: 2, kind: "box", box: 1, x: 200, y: 100, w: 30, h: 80, text: "not a person" },
      { number: 3, kind: "region", box: null, x: 500, y: 300, w: 50, h: 50, text: "missed car" },
    ]);
  });

  it("pins the boxes the reviewer rejected after the comments, with the verdict's comment", () => {
    const pins = reworkPins([{ box: 0, region: null, text: "check" }], { boxes: [CAR, PERSON] }, [
      { box: 1, comment: "a bike" },
      { box: 0, comment: "" },
      { box: 5, comment: "gone" },
    ]);
    expect(pins.map((p) => [p.number, p.kind, p.box, p.text])).toEqual([
      [1, "box", 0, "check"],
      [2, "rejected", 1, "Rejected: a bike"],
      [3, "rejected", 0, "Rejected"],
    ]);
  });

  it("has no box pins for a classification answer", () => {
    expect(reworkPins([{ box: 0, region: null, text: "wrong class" }], { label: "car" })).toEqual([]);
  });
});

import { z } from "zod";
import { Key, Text } from "./common.js";

export const MAX_TAG_VALUE_LENGTH = 5000;

/** Tags are mutable string labels. */
export const Tags = z.record(Key, Text(MAX_TAG_VALUE_LENGTH)).meta({ id: "Tags" });
export type Tags = z.infer<typeof Tags>;

/** A tag update: a string sets the tag, null removes it. */
export const TagUpdates = z.record(Key, Text(MAX_TAG_VALUE_LENGTH).nullable());
export type TagUpdates = z.infer<typeof TagUpdates>;

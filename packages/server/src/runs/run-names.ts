/** Memorable default run names ("brisk-falcon-7"), like the trackers people know. */
const ADJECTIVES = ["amber", "bold", "brisk", "calm", "clever", "crisp", "daring", "eager", "fancy", "gentle", "golden", "happy", "jolly", "keen", "lively", "lucky", "misty", "noble", "polar", "quiet", "rapid", "royal", "silent", "sleek", "solar", "steady", "swift", "vivid", "wise", "zesty"];
const NOUNS = ["badger", "breeze", "canyon", "cedar", "comet", "dune", "falcon", "fjord", "glacier", "harbor", "heron", "lagoon", "lynx", "meadow", "nebula", "otter", "pine", "quartz", "raven", "ridge", "river", "sparrow", "summit", "thunder", "tundra", "valley", "willow", "wolf", "yak", "zephyr"];

export function randomRunName(): string {
  const pick = (list: string[]) => list[Math.floor(Math.random() * list.length)]!;
  return `${pick(ADJECTIVES)}-${pick(NOUNS)}-${Math.floor(Math.random() * 100)}`;
}

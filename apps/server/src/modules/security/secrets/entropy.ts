/**
 * Shannon entropy of a string in bits per character: -Σ p(c)·log2 p(c) over its distinct characters.
 * Random base62 tokens score about 5, random hex about 4, English words and placeholders below 3.5.
 */
export function shannonEntropy(text: string): number {
  if (text.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const char of text) counts.set(char, (counts.get(char) ?? 0) + 1);
  const length = [...text].length;
  let entropy = 0;
  for (const count of counts.values()) {
    const p = count / length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}

/** Over 600 KB of UTF-8 each: the non-ASCII replies the Python daemon's clients must get intact. */
export const bigTexts: Record<string, string> = {
  cjk: '記憶の断片、夢の中で再生される。'.repeat(12_500),
  emoji: '🧠💭🌙✨😀'.repeat(32_000),
  mixed: 'memory é ü 日本語 😀 ok '.repeat(25_000)
}

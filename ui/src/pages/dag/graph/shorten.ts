/** `text` cut to `chars` characters, the last one an ellipsis when it was longer. */
export function shorten(text: string, chars: number): string {
  return text.length > chars ? `${text.slice(0, chars - 1)}…` : text;
}

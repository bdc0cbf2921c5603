/**
 * Small helpers for writing bash safely: quoting and quoted here-documents.
 */

/**
 * Quote a string for bash as one word, using single quotes (no expansion of any kind).
 *
 * @example
 * shq("it's") // → 'it'\''s'
 */
export function shq(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * A quoted here-document (`<<'TAG'`): bash expands nothing inside it, so the body reaches the
 * file byte for byte. The body always ends with a newline; a body containing a line equal to the
 * tag would end the document early, so that is refused.
 *
 * @example
 * `cat >/tmp/x ${heredoc('a $b\n', 'EOF')}` // → "cat >/tmp/x <<'EOF'\na $b\nEOF"
 */
export function heredoc(body: string, tag: string): string {
  const text = body.endsWith('\n') ? body : `${body}\n`;
  if (text.split('\n').includes(tag)) throw new Error(`here-document body contains its own terminator ${tag}`);
  return `<<'${tag}'\n${text}${tag}`;
}

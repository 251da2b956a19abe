// Text from a NAS (a command's stderr and stdout, an sshd's disconnect message) is shown in the admin's terminal by
// the CLI, written to the task log and the app log, and shown in the UI. A NAS, or anyone who can name a dataset
// property or print on its stderr, must not be able to drive the admin's terminal with it: escape sequences can
// move the cursor, rewrite earlier lines, set the window title, write to the clipboard (OSC 52) or hide text.
// This keeps printable text, newlines and tabs, and drops the rest.

/** Any character that may need work: C0 controls but tab and newline, DEL, C1 controls, bidirectional overrides. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const needsWork = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/**
 * ECMA-48 sequences, each removed whole:
 * - CSI (ESC [ or U+009B): parameters 0x30-0x3F, intermediates 0x20-0x2F, one final byte 0x40-0x7E;
 * - strings (OSC ESC ], DCS ESC P, SOS ESC X, PM ESC ^, APC ESC _, or their C1 forms): up to BEL or ST (ESC \ or
 *   U+009C), or to the end of the line when unterminated (a terminal would swallow the rest);
 * - any other escape: ESC, intermediates 0x20-0x2F, one final byte 0x30-0x7E (ESC c resets the terminal).
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const escapeSequence = /(?:\u001b\[|\u009b)[\u0030-\u003f]*[\u0020-\u002f]*[\u0040-\u007e]?|(?:\u001b[\]PX^_]|[\u0090\u0098\u009d\u009e\u009f])[^\u0007\u001b\u009c\n]*(?:\u0007|\u001b\\|\u009c)?|\u001b[\u0020-\u002f]*[\u0030-\u007e]?/g;

/** Control characters left after the sequences are gone (a lone ESC, NUL, backspace, BEL...), bidi overrides. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const strayControl = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` safe to print: escape sequences removed, CRLF and lone CR turned into newlines (a CR would let later text
 * overwrite a line), every other control character shown as U+FFFD. Newlines and tabs stay. Text without any
 * control character is returned as is (one scan).
 */
export function sanitizeTerminalText(text: string): string {
  if (!needsWork.test(text)) return text;
  return text.replace(/\r\n?/g, '\n').replace(escapeSequence, '').replace(strayControl, '\uFFFD');
}

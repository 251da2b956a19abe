// Fixed POSIX sh programs for editing ~/.ssh files on a NAS. They run as `sh -c PROGRAM sh ARG...`: the program
// text is a constant of this file, every variable part arrives as a quoted positional argument or on stdin,
// so nothing a user or a NAS supplies is ever spliced into shell code. They run as the login user (never sudo),
// in that user's $HOME, and are idempotent: running one twice changes nothing the second time.

/**
 * Shared helpers: make ~/.ssh (0700) and a file in it (0600), and end a file with a newline before appending. A user
 * without a usable home (TrueNAS gives its admin /nonexistent) stops with exit 4 and a line the stderr table names.
 */
const prelude = `set -eu
umask 077
home="\${HOME:-}"
dir="$home/.ssh"
if [ ! -d "$dir" ] && { [ -z "$home" ] || [ ! -d "$home" ] || [ ! -w "$home" ]; }; then echo "zrd: home directory $home does not exist or is not writable" >&2; exit 4; fi
if [ -d "$dir" ] && [ ! -w "$dir" ]; then echo "zrd: home directory $home does not exist or is not writable ($dir is read-only)" >&2; exit 4; fi
if [ ! -d "$dir" ]; then mkdir -m 700 "$dir"; fi
chmod go-w "$dir"
ensure_file() { if [ ! -e "$1" ]; then : > "$1"; chmod 600 "$1"; fi; }
end_with_newline() { if [ -s "$1" ] && [ -n "$(tail -c 1 "$1")" ]; then printf '\\n' >> "$1"; fi; }
`;

/**
 * Reads one public key line on stdin and appends it to ~/.ssh/authorized_keys unless a line already holds the
 * same key material (whatever its comment or options). Prints "added" or "present".
 */
export const installAuthorizedKeyScript = `${prelude}IFS= read -r key || [ -n "$key" ]
blob=$(printf '%s\\n' "$key" | awk '{ print $2 }')
if [ -z "$blob" ]; then echo "zrd: no public key on stdin" >&2; exit 2; fi
file="$dir/authorized_keys"
ensure_file "$file"
if awk -v b="$blob" '!/^[[:space:]]*#/ { for (i = 1; i <= NF; i++) if ($i == b) found = 1 } END { exit found ? 0 : 1 }' "$file"; then
  echo present
  exit 0
fi
end_with_newline "$file"
printf '%s\\n' "$key" >> "$file"
echo added
`;

/**
 * The NAS-to-NAS key line on the destination. $1 marker (the line's last field), $2 the key's base64 blob, $3 mode;
 * the whole line on stdin ("restrict,from=\"10.0.2.2\" ssh-ed25519 AAAA... zrd-nas-trust:from=<id>").
 * - add: appends the line unless some line already holds the key (ours from an earlier run, or the admin's).
 *   Prints "added" or "present".
 * - set: our marked line becomes exactly the given one (its options tightened or changed), in one atomic rename;
 *   a line holding the key without our marker is the admin's own and is left alone. Prints "updated", "present"
 *   (already exactly so) or "foreign" (only the admin's line holds the key).
 * The line travels in the environment to awk (awk -v would interpret backslashes).
 */
export const setNasTrustKeyScript = `${prelude}IFS= read -r line || [ -n "$line" ]
if [ -z "$line" ] || [ -z "$2" ]; then echo "zrd: no key line" >&2; exit 2; fi
file="$dir/authorized_keys"
ensure_file "$file"
if [ "$3" = add ]; then
  if awk -v b="$2" '!/^[[:space:]]*#/ { for (i = 1; i <= NF; i++) if ($i == b) found = 1 } END { exit found ? 0 : 1 }' "$file"; then echo present; exit 0; fi
  end_with_newline "$file"
  printf '%s\n' "$line" >> "$file"
  echo added
  exit 0
fi
if awk -v b="$2" -v m="$1" '!/^[[:space:]]*#/ && $NF != m { for (i = 1; i <= NF; i++) if ($i == b) found = 1 } END { exit found ? 0 : 1 }' "$file"; then echo foreign; exit 0; fi
if ZRD_LINE="$line" awk '$0 == ENVIRON["ZRD_LINE"] { found = 1 } END { exit found ? 0 : 1 }' "$file" && [ "$(awk -v m="$1" '$NF == m { n++ } END { print n + 0 }' "$file")" = 1 ]; then
  echo present
  exit 0
fi
tmp="$file.zrd.$$"
awk -v m="$1" '$NF != m' "$file" > "$tmp"
end_with_newline "$tmp"
printf '%s\n' "$line" >> "$tmp"
chmod 600 "$tmp"
mv -f "$tmp" "$file"
echo updated
`;

/**
 * $1 file name under ~/.ssh, $2 marker: removes the lines whose last field is exactly the marker (the lines we
 * added), keeps everything else byte for byte. Prints how many lines went.
 */
export const removeMarkedLinesScript = `${prelude}file="$dir/$1"
if [ ! -f "$file" ]; then echo 0; exit 0; fi
count=$(awk -v m="$2" '$NF == m { n++ } END { print n + 0 }' "$file")
if [ "$count" -gt 0 ]; then
  tmp="$file.zrd.$$"
  awk -v m="$2" '$NF != m' "$file" > "$tmp"
  chmod 600 "$tmp"
  mv -f "$tmp" "$file"
fi
echo "$count"
`;

/**
 * $1 comment for a new key. Uses ~/.ssh/id_ed25519 if it exists (refusing one with a passphrase: ssh could
 * not use it unattended), creates it otherwise. Prints "existing <pub line>" or "created <pub line>".
 */
export const ensureUserKeyScript = `${prelude}key="$dir/id_ed25519"
if [ -e "$key" ]; then
  if ! pub=$(ssh-keygen -y -P '' -f "$key" 2>/dev/null); then
    echo "zrd: $key is protected by a passphrase, so ssh cannot use it unattended for replication" >&2
    exit 3
  fi
  echo "existing $pub"
else
  ssh-keygen -q -t ed25519 -N '' -C "$1" -f "$key" > /dev/null
  echo "created $(cat "$key.pub")"
fi
`;

/**
 * $1 host pattern ("nas-b" or "[nas-b]:2222"), $2 key type, $3 base64 key, $4 marker: adds the line to
 * ~/.ssh/known_hosts unless that host already has that exact key. Prints "added" or "present".
 */
export const addKnownHostScript = `${prelude}file="$dir/known_hosts"
ensure_file "$file"
if awk -v h="$1" -v b="$3" '{ n = split($1, names, ","); for (i = 1; i <= n; i++) if (names[i] == h && $3 == b) found = 1 } END { exit found ? 0 : 1 }' "$file"; then
  echo present
  exit 0
fi
end_with_newline "$file"
printf '%s %s %s %s\\n' "$1" "$2" "$3" "$4" >> "$file"
echo added
`;

/** $1 comment: deletes ~/.ssh/id_ed25519{,.pub} only when the public key still carries our comment. Prints "removed" or "kept". */
export const removeGeneratedKeyScript = `${prelude}key="$dir/id_ed25519"
if [ -f "$key.pub" ] && [ "$(awk '{ print $NF }' "$key.pub")" = "$1" ]; then
  rm -f "$key" "$key.pub"
  echo removed
else
  echo kept
fi
`;

/** Prints every host public key of the sshd (world-readable files). */
export const readHostKeysScript = `for f in /etc/ssh/ssh_host_*_key.pub; do [ -r "$f" ] && cat "$f"; done; exit 0
`;

/**
 * $1 base64 key material: removes every authorized_keys line that carries exactly that key (whatever its options or
 * comment) — the undo of installAuthorizedKeyScript for the app's own key. Prints how many lines went.
 */
export const removeAuthorizedKeyScript = `${prelude}file="$dir/authorized_keys"
if [ ! -f "$file" ]; then echo 0; exit 0; fi
count=$(awk -v b="$1" '!/^[[:space:]]*#/ { for (i = 1; i <= NF; i++) if ($i == b) { n++; break } } END { print n + 0 }' "$file")
if [ "$count" -gt 0 ]; then
  tmp="$file.zrd.$$"
  awk -v b="$1" '{ keep = 1; if ($0 !~ /^[[:space:]]*#/) for (i = 1; i <= NF; i++) if ($i == b) keep = 0; if (keep) print }' "$file" > "$tmp"
  chmod 600 "$tmp"
  mv -f "$tmp" "$file"
fi
echo "$count"
`;

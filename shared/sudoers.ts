/** The sudoers line that lets a user run zfs and zpool through `sudo -n` (the app never types a sudo password). */
export function sudoersLine(username: string): string {
  return `${username} ALL=(ALL) NOPASSWD: /usr/sbin/zfs, /usr/sbin/zpool`;
}

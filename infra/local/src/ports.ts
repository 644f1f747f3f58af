import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { InfraError } from './errors.ts';
import { canConnect, processName } from './process.ts';

const TCP_LISTEN = '0A';

export interface ListeningSocket {
  port: number;
  inode: number;
}

/** Parses /proc/net/tcp{,6}: the listening sockets and their inodes. */
export function parseProcNetTcp(text: string): ListeningSocket[] {
  const sockets: ListeningSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const local = fields[1];
    if (!local || fields[3] !== TCP_LISTEN) continue;
    const port = Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16);
    sockets.push({ port, inode: Number(fields[9]) });
  }
  return sockets;
}

function listeningInodes(port: number): Set<number> {
  const inodes = new Set<number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const socket of parseProcNetTcp(text)) if (socket.port === port) inodes.add(socket.inode);
  }
  return inodes;
}

export interface PortOwner {
  pid: number;
  name: string;
}

/** Which process listens on a TCP port (we are root, so every /proc/<pid>/fd is readable). */
export function findPortOwner(port: number): PortOwner | undefined {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return undefined;
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const match = /^socket:\[(\d+)\]$/.exec(target);
      if (match && inodes.has(Number(match[1]))) return { pid, name: processName(pid) ?? '?' };
    }
  }
  return undefined;
}

export function portTakenMessage(port: number, owner: PortOwner | undefined, envVar: string): string {
  const who = owner ? `pid ${owner.pid} (${owner.name})` : 'another process';
  return `port ${port} is taken by ${who} — stop it or set ${envVar}`;
}

/** Fails with a diagnosis if something other than `ourPid` (or its children) listens on the port. */
export async function assertPortFree(port: number, envVar: string): Promise<void> {
  const owner = findPortOwner(port);
  if (owner || (await canConnect(port))) throw new InfraError(portTakenMessage(port, owner, envVar));
}

import fs from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { AdvisoryFormatError, AdvisoryIndex, type OsvAdvisory, parseAdvisory } from './osv.ts';

/** The JSON entries of a zip archive (stored or deflated), as OSV publishes its `all.zip` exports. */
export function readZipJsonEntries(buffer: Buffer, where: string): Array<{ name: string; text: string }> {
  // End of central directory: signature 0x06054b50 within the last 64 KiB + 22 bytes.
  let eocd = -1;
  for (let i = buffer.length - 22; i >= Math.max(0, buffer.length - 65_557); i--) {
    if (buffer.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new AdvisoryFormatError(`${where}: not a zip archive`);
  const entries = buffer.readUInt16LE(eocd + 10);
  let at = buffer.readUInt32LE(eocd + 16);
  const out: Array<{ name: string; text: string }> = [];
  for (let n = 0; n < entries; n++) {
    if (buffer.readUInt32LE(at) !== 0x02014b50)
      throw new AdvisoryFormatError(`${where}: corrupt zip directory`);
    const method = buffer.readUInt16LE(at + 10);
    const compressed = buffer.readUInt32LE(at + 20);
    const nameLength = buffer.readUInt16LE(at + 28);
    const extraLength = buffer.readUInt16LE(at + 30);
    const commentLength = buffer.readUInt16LE(at + 32);
    const local = buffer.readUInt32LE(at + 42);
    const name = buffer.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    at += 46 + nameLength + extraLength + commentLength;
    if (!name.endsWith('.json')) continue;
    if (buffer.readUInt32LE(local) !== 0x04034b50)
      throw new AdvisoryFormatError(`${where}: corrupt zip entry ${name}`);
    const start = local + 30 + buffer.readUInt16LE(local + 26) + buffer.readUInt16LE(local + 28);
    const data = buffer.subarray(start, start + compressed);
    let text: string;
    if (method === 0) text = data.toString('utf8');
    else if (method === 8) text = zlib.inflateRawSync(data).toString('utf8');
    else
      throw new AdvisoryFormatError(`${where}: ${name} uses zip method ${method} (only stored and deflate)`);
    out.push({ name, text });
  }
  return out;
}

/** The advisories in one JSON text: a single OSV record, an array of them, or `{ "vulns": [...] }`. */
export function advisoriesFromJson(text: string, where: string): OsvAdvisory[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new AdvisoryFormatError(`${where}: not JSON (${(error as Error).message})`);
  }
  const list = Array.isArray(value)
    ? value
    : value && typeof value === 'object' && Array.isArray((value as { vulns?: unknown }).vulns)
      ? (value as { vulns: unknown[] }).vulns
      : [value];
  return list.map((item, i) => parseAdvisory(item, list.length > 1 ? `${where}[${i}]` : where));
}

async function collectFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await collectFiles(full)));
    else if (entry.name.endsWith('.json') || entry.name.endsWith('.zip')) out.push(full);
  }
  return out.sort();
}

/** Loads OSV advisories from JSON files, folders of them and zip archives. */
export async function loadAdvisories(sources: readonly string[]): Promise<OsvAdvisory[]> {
  const out: OsvAdvisory[] = [];
  for (const source of sources) {
    let stat: Awaited<ReturnType<typeof fs.stat>>;
    try {
      stat = await fs.stat(source);
    } catch {
      throw new AdvisoryFormatError(`${source}: no such file or folder`);
    }
    const files = stat.isDirectory() ? await collectFiles(source) : [source];
    for (const file of files) {
      const buffer = await fs.readFile(file);
      if (file.endsWith('.zip') || buffer.readUInt32LE(0) === 0x04034b50) {
        for (const entry of readZipJsonEntries(buffer, file))
          out.push(...advisoriesFromJson(entry.text, `${file}:${entry.name}`));
      } else out.push(...advisoriesFromJson(buffer.toString('utf8'), file));
    }
  }
  return out;
}

export function indexAdvisories(advisories: Iterable<OsvAdvisory>): AdvisoryIndex {
  const index = new AdvisoryIndex();
  for (const advisory of advisories) index.add(advisory);
  return index;
}

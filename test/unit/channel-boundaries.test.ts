import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const CHANNELS = join(__dirname, '../../src/channels');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : /\.tsx?$/.test(entry.name)
        ? [join(dir, entry.name)]
        : [],
  );
}

describe('channel boundaries', () => {
  it('lets no channel import a repository: channels go through the domain services', () => {
    const offending = sourceFiles(CHANNELS).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/from '([^']+\.repository)'/g)].map(
        (match) => `${relative(CHANNELS, file)} imports ${match[1]}`,
      ),
    );
    expect(offending).toEqual([]);
  });
});

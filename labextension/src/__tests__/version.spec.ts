import * as fs from 'fs';
import * as path from 'path';

import { EXTENSION_VERSION } from '../version';

describe('EXTENSION_VERSION', () => {
  it('equals the version in package.json', () => {
    const packageJson = JSON.parse(
      fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')
    ) as { version: string };
    expect(EXTENSION_VERSION).toBe(packageJson.version);
  });

  it("equals the repository's VERSION file, the version of everything", () => {
    const versionFile = path.join(__dirname, '..', '..', '..', 'VERSION');
    expect(fs.readFileSync(versionFile, 'utf8').trim()).toBe(EXTENSION_VERSION);
  });
});

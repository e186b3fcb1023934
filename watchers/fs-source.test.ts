import { describe, expect, it } from 'vitest';
import { networkFileSystem } from './fs-source.ts';

describe('networkFileSystem', () => {
  it('names the network file systems by their statfs magic numbers', () => {
    expect(networkFileSystem(0xff534d42)).toBe('cifs');
    expect(networkFileSystem(0xfe534d42)).toBe('smb2');
    expect(networkFileSystem(0x517b)).toBe('smb');
    expect(networkFileSystem(0x6969)).toBe('nfs');
    expect(networkFileSystem(0x00c36400)).toBe('ceph');
    // f_type handed over sign-extended (a 32-bit magic in a C long).
    expect(networkFileSystem(0xff534d42 | 0)).toBe('cifs');
  });

  it('is undefined for local file systems', () => {
    for (const local of [0xef53 /* ext4 */, 0x58465342 /* xfs */, 0x9123683e /* btrfs */, 0x01021994 /* tmpfs */, 0x794c7630 /* overlayfs */]) {
      expect(networkFileSystem(local), local.toString(16)).toBeUndefined();
    }
  });
});

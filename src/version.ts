/** The toolset's version; a unit test keeps it equal to package.json's. */
export const VERSION = '0.1.0';

export function versionLine(tool: string): string {
  return `${tool} ${VERSION} (tsh toolset; Node ${process.version}, ssh2 1.17.0)`;
}

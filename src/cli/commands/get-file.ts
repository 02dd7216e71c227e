/** `plectrum get` for a progressive file (CLI-1, FILE-*). */

import type { Engine } from "../engine.js";
import { CliError, ExitCode } from "../exit-codes.js";
import type { GetOptions } from "../options.js";
import type { Session } from "../session.js";
import type { GetResult } from "./get.js";

export async function getFile(
  url: string,
  _opts: GetOptions,
  _engine: Engine,
  _session: Session,
): Promise<Omit<GetResult, "seconds">> {
  throw new CliError(ExitCode.Media, `progressive downloads are not wired yet: ${url}`, {
    hint: "pass an HLS playlist URL (.m3u8)",
  });
}

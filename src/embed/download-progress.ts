/**
 * A terminal progress bar for model downloads (transformers.js reports bytes per file): one bar per file
 * on stderr, so stdout stays data. Used by default when stderr is a terminal.
 */
import cliProgress from 'cli-progress';

/** What a provider reports while it fetches model files. */
export interface DownloadProgress {
  file: string;
  loaded: number;
  total: number;
}

export function downloadProgressBar(label: string, stream: NodeJS.WriteStream = process.stderr): { update(progress: DownloadProgress): void; stop(): void } {
  const bars = new cliProgress.MultiBar(
    {
      format: `${label} {file} |{bar}| {percentage}% | {value}/{total} bytes`,
      stream,
      barsize: 24,
      hideCursor: true,
      fps: 8,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  const byFile = new Map<string, cliProgress.SingleBar>();
  return {
    update({ file, loaded, total }: DownloadProgress): void {
      let bar = byFile.get(file);
      if (!bar) {
        bar = bars.create(Math.max(total, 1), 0, { file });
        byFile.set(file, bar);
      }
      bar.setTotal(Math.max(total, 1));
      bar.update(loaded, { file });
    },
    stop(): void {
      bars.stop();
    },
  };
}

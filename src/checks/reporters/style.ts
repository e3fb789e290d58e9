/** Terminal styling shared by the validate and doctor reports: colors only on a terminal without NO_COLOR. */
export interface Style {
  color: boolean
  red(text: string): string
  yellow(text: string): string
  green(text: string): string
  dim(text: string): string
  bold(text: string): string
}

export function shouldColor(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  // https://no-color.org: any non-empty NO_COLOR value disables color.
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true
  return Boolean(stream.isTTY) && env.TERM !== 'dumb'
}

export function makeStyle(color: boolean): Style {
  const wrap = (open: number, close: number) => (text: string) => (color ? `\u001B[${open}m${text}\u001B[${close}m` : text)
  return {color, red: wrap(31, 39), yellow: wrap(33, 39), green: wrap(32, 39), dim: wrap(2, 22), bold: wrap(1, 22)}
}

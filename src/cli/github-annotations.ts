/**
 * GitHub Actions workflow commands (docs.github.com, "Workflow commands for GitHub Actions"):
 * a line `::error file=F,title=T::message` on standard output becomes an annotation on file F in
 * the run's summary and the pull request. Data is escaped as the runner's toolkit does (%, CR,
 * LF), and property values also their separators (":" and ",").
 */
export function githubError(message: string, where: { readonly file?: string; readonly title?: string }): string {
  const properties = [
    ...(where.file !== undefined ? [`file=${escapeProperty(where.file)}`] : []),
    ...(where.title !== undefined ? [`title=${escapeProperty(where.title)}`] : []),
  ];
  return `::error${properties.length > 0 ? ` ${properties.join(',')}` : ''}::${escapeData(message)}`;
}

const escapeData = (value: string): string => value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');

const escapeProperty = (value: string): string => escapeData(value).replace(/:/g, '%3A').replace(/,/g, '%2C');

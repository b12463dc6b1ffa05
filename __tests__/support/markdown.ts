// A job summary as GitHub renders it: GitHub Flavored Markdown, read with micromark and its GFM
// extensions (tables, autolinks, strikethrough), which follow the same specification.
import { micromark } from 'micromark'
import { gfm, gfmHtml } from 'micromark-extension-gfm'

/** The HTML GitHub makes of the Markdown. */
export function renderedHtml(markdown: string): string {
  return micromark(markdown, { extensions: [gfm()], htmlExtensions: [gfmHtml()] })
}

/** The text of an HTML fragment, as a reader sees it. */
export function textOf(fragment: string): string {
  return fragment
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
}

/** Each row of the table whose header row is `header`, as the text of its cells. */
export function tableRows(markdown: string, header: string[]): string[][] {
  const tables = [...renderedHtml(markdown).matchAll(/<table>([\s\S]*?)<\/table>/g)].map(([, table]) =>
    [...table.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map(([, row]) => [...row.matchAll(/<t[dh][^>]*>([\s\S]*?)<\/t[dh]>/g)].map(([, cell]) => textOf(cell)))
  )
  const table = tables.find(([first]) => JSON.stringify(first) === JSON.stringify(header))
  if (!table) throw new Error(`No table with the header ${header.join(' | ')} in:\n${markdown}`)
  return table.slice(1)
}

/** The address of each link whose text is `text`. */
export function linksOf(markdown: string, text: string): string[] {
  return [...renderedHtml(markdown).matchAll(/<a href="([^"]*)">([\s\S]*?)<\/a>/g)]
    .filter(([, , linked]) => textOf(linked) === text)
    .map(([, href]) => textOf(href))
}

/** The text a reader sees of the whole summary, as GitHub renders it. */
export function renderedText(markdown: string): string {
  return textOf(renderedHtml(markdown))
}

/** The text of each heading of `level` (3 for `###`), as GitHub renders it. */
export function headingsOf(markdown: string, level: number): string[] {
  return [...renderedHtml(markdown).matchAll(new RegExp(`<h${level}>([\\s\\S]*?)</h${level}>`, 'g'))].map(([, heading]) => textOf(heading))
}

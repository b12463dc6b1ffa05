// The required_plugins of an HCL2 template, for the plugin cache's key: read with HashiCorp's
// HCL parser, so formatting and comments do not change the key and nothing inside a string or
// a heredoc is mistaken for a declaration.
import { hclRequiredPlugins, hclTemplateFiles, parseHclFile } from '../inputs/hcl.js'

/**
 * The required_plugins declarations of an HCL2 template (a file, or a directory of
 * `.pkr.hcl` / `.pkr.json` files the way `packer init` reads it), sorted.
 */
export async function templateRequiredPlugins(templatePath: string): Promise<string[]> {
  const files = await Promise.all(hclTemplateFiles(templatePath).map((file) => parseHclFile(file)))
  return hclRequiredPlugins(files)
}

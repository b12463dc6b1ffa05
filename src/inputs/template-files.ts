// Inputs working-directory, template, var-file and manifest: the files Packer is given, read
// as far as the action needs to know them before Packer runs.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { isDirectory, type InputReader } from './reader.js'
import {
  checkJsonVarFile,
  describeJsonTemplate,
  hclManifestOutput,
  hclTemplateFiles,
  templateKind,
  type TemplateKind
} from './template.js'

export interface TemplateFiles {
  /** Absolute directory Packer runs in. */
  workingDirectory: string
  /** Template path as given, relative to workingDirectory (what Packer is passed). */
  template: string
  templateKind: TemplateKind
  builderTypes: string[]
  postProcessorTypes: string[]
  buildNames: string[]
  varFiles: string[]
  /** Set when var-file was empty and packer-vars.json was found beside a JSON template. */
  defaultVarFile?: string
  /** Absolute path of the manifest file to read. */
  manifest: string
}

interface TemplateDescription {
  builderTypes: string[]
  postProcessorTypes: string[]
  buildNames: string[]
  manifestOutput?: string
}

const nothingKnown: TemplateDescription = { builderTypes: [], postProcessorTypes: [], buildNames: [] }

export function readTemplateFiles(reader: InputReader): TemplateFiles {
  const workingDirectoryInput = reader.text('working-directory', '.')
  const workingDirectory = resolve(reader.workspace, workingDirectoryInput)
  const found = isDirectory(workingDirectory)
  if (!found) {
    reader.problem(`working-directory: expected a directory, found none at "${workingDirectoryInput}"`)
  }

  const template = reader.text('template', 'packer-template.json')
  const templatePath = resolve(workingDirectory, template)
  const kind = templateKind(template, isDirectory(templatePath))
  let description = nothingKnown
  if (found && !existsSync(templatePath)) {
    reader.problem(
      `template: expected a Packer template at "${template}" in "${workingDirectoryInput}", found no such file`
    )
  } else if (found) {
    description = kind === 'json' ? describeJson(reader, templatePath) : describeHcl(reader, template, templatePath)
  }

  const varFiles = reader.lines('var-file')
  let defaultVarFile: string | undefined
  if (varFiles.length === 0 && kind === 'json' && found) {
    const besideTemplate = join(dirname(template), 'packer-vars.json')
    if (existsSync(resolve(workingDirectory, besideTemplate))) {
      defaultVarFile = besideTemplate
      varFiles.push(besideTemplate)
    }
  }
  if (found) {
    for (const varFile of varFiles) checkVarFile(reader, kind, resolve(workingDirectory, varFile), varFile, workingDirectoryInput)
  }

  const manifestInput = reader.text('manifest')
  const { manifestOutput, ...builds } = description
  return {
    workingDirectory,
    template,
    templateKind: kind,
    ...builds,
    varFiles,
    defaultVarFile,
    manifest: resolve(workingDirectory, manifestInput || manifestOutput || 'packer-manifest.json')
  }
}

function describeJson(reader: InputReader, path: string): TemplateDescription {
  const parsed = reader.json(path, 'template')
  if (parsed === undefined) return nothingKnown
  try {
    const info = describeJsonTemplate(parsed)
    return {
      builderTypes: [...new Set(info.builders.map((builder) => builder.type))],
      buildNames: info.builders.map((builder) => builder.name),
      postProcessorTypes: info.postProcessorTypes,
      manifestOutput: info.manifestOutput
    }
  } catch (error) {
    const shown = reader.shown(path)
    reader.problem(`template: ${shown} is not a Packer JSON template: ${(error as Error).message}`, { file: shown })
    return nothingKnown
  }
}

function describeHcl(reader: InputReader, template: string, path: string): TemplateDescription {
  const files = isDirectory(path) ? hclTemplateFiles(path) : [path]
  if (files.length === 0) {
    reader.problem(`template: expected .pkr.hcl or .pkr.json files in the directory "${template}", found none`)
  }
  let manifestOutput: string | undefined
  for (const file of files) {
    if (file.endsWith('.pkr.json')) reader.json(file, 'template')
    else manifestOutput ??= hclManifestOutput(readFileSync(file, 'utf8'))
  }
  return { ...nothingKnown, manifestOutput }
}

function checkVarFile(
  reader: InputReader,
  kind: TemplateKind,
  path: string,
  varFile: string,
  workingDirectoryInput: string
): void {
  if (!existsSync(path) || isDirectory(path)) {
    reader.problem(
      `var-file: expected a variables file at "${varFile}" in "${workingDirectoryInput}", found no such file`
    )
    return
  }
  if (!path.endsWith('.json')) return
  const parsed = reader.json(path, 'var-file')
  if (parsed === undefined || kind !== 'json') return
  const wrong = checkJsonVarFile(parsed)
  const shown = reader.shown(path)
  if (wrong) reader.problem(`var-file: ${shown}: ${wrong}`, { file: shown })
}

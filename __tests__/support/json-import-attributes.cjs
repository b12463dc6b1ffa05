// A jest transform for @actions/workflow-parser, GitHub's own workflow and action.yml parser.
// Its ES module build imports its schema files as `import Schema from "../x.json"`, without
// the `with { type: 'json' }` attribute that Node's module loader (and jest's, from its next
// major) requires. This adds the attribute to those imports and changes nothing else, so the
// tests run GitHub's parser as published. The imports are found with TypeScript's parser.
const { createHash } = require('node:crypto')
const ts = require('typescript')

function addJsonAttributes(source, filename) {
  const file = ts.createSourceFile(filename, source, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS)
  const insertAt = file.statements
    .filter(
      (statement) =>
        ts.isImportDeclaration(statement) &&
        statement.attributes === undefined &&
        ts.isStringLiteral(statement.moduleSpecifier) &&
        statement.moduleSpecifier.text.endsWith('.json')
    )
    .map((statement) => statement.moduleSpecifier.end)
  let code = source
  for (const at of insertAt.reverse()) code = `${code.slice(0, at)} with { type: 'json' }${code.slice(at)}`
  return code
}

module.exports = {
  process(source, filename) {
    return { code: addJsonAttributes(source, filename) }
  },
  getCacheKey(source, filename) {
    return createHash('sha256').update(`${ts.version}\0${filename}\0${source}`).digest('hex')
  }
}

// HashiCorp's HCL parser, compiled to WebAssembly, in a module of its own: it loads only for
// HCL2 templates, so runs with JSON templates never pay for it.
export { getExpressionAst, parse } from '@cdktf/hcl2json'

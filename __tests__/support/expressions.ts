// GitHub's own expression evaluator (npm @actions/expressions), for a workflow's `${{ … }}` as
// GitHub evaluates it, its contexts given as plain values.
import { data, Evaluator, Lexer, Parser } from '@actions/expressions'

/** A Data value for GitHub's evaluator from a plain one (matrix values, the github context). */
export function toData(value: unknown): data.ExpressionData {
  if (typeof value === 'string') return new data.StringData(value)
  if (typeof value === 'number') return new data.NumberData(value)
  if (typeof value === 'boolean') return new data.BooleanData(value)
  if (value && typeof value === 'object') {
    return new data.Dictionary(...Object.entries(value).map(([key, item]) => ({ key, value: toData(item) })))
  }
  return new data.Null()
}

/**
 * The expression (what stands between `${{` and `}}`) evaluated with these contexts, e.g.
 * `{ steps: { ami: { outputs } } }`. Throws where GitHub fails the step: `fromJSON('')`.
 */
export function evaluate(expression: string, contexts: Record<string, unknown>): data.ExpressionData {
  const parsed = new Parser(new Lexer(expression).lex().tokens, Object.keys(contexts), []).parse()
  return new Evaluator(parsed, toData(contexts) as data.Dictionary).evaluate()
}

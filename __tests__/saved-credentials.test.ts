// The credentials the main step leaves for the post step (aws/saved-credentials.ts): read back as
// they were saved, secrets named for the post step to register, anything else refused.
import { describe, expect, it } from '@jest/globals'
import { parseSavedCredentials, secretsOf } from '../src/aws/saved-credentials.js'

describe('parseSavedCredentials', () => {
  it('reads back keys, a profile and its file, and a role with its settings, as saved', () => {
    const saved = {
      credentials: {
        keys: { accessKeyId: 'AKIDIMAGES', secretAccessKey: 'images-secret', sessionToken: 'images-token' },
        profile: 'images',
        credentialsFile: '/home/runner/.aws/images',
        assumeRole: { roleArn: 'arn:aws:iam::222222222222:role/images', sessionName: 'packer', externalId: 'x-1', durationSeconds: 1800, policy: '{}' }
      },
      region: 'eu-west-1'
    }
    const parsed = parseSavedCredentials(JSON.stringify(saved))
    expect(parsed).toEqual(saved)
    expect(secretsOf(parsed as NonNullable<typeof parsed>)).toEqual(['images-secret', 'images-token'])
  })

  it('a role alone, assumed with the step\'s credentials: no secret to register', () => {
    const parsed = parseSavedCredentials(JSON.stringify({ credentials: { assumeRole: { roleArn: 'arn:aws:iam::222222222222:role/images' } }, region: 'us-east-1' }))
    expect(parsed).toEqual({ credentials: { assumeRole: { roleArn: 'arn:aws:iam::222222222222:role/images' } }, region: 'us-east-1' })
    expect(secretsOf(parsed as NonNullable<typeof parsed>)).toEqual([])
  })

  it.each([
    ['nothing saved', ''],
    ['not JSON', '{'],
    ['no region', JSON.stringify({ credentials: { profile: 'images' } })],
    ['no credentials', JSON.stringify({ credentials: {}, region: 'us-east-1' })],
    ['a key without its secret, and a role without its ARN', JSON.stringify({ credentials: { keys: { accessKeyId: 'AKID' }, assumeRole: { sessionName: 's' } }, region: 'us-east-1' })]
  ])('%s: undefined, so the post step uses the step\'s credentials', (_, text) => {
    expect(parseSavedCredentials(text)).toBeUndefined()
  })
})

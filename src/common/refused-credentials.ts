// AWS credentials that AWS does not take, or that Packer does not find: what Packer's lines say of
// them (its first call's error, from the AWS SDK for Go), read here in one place, and said in the
// action's words with what to change.

/**
 * What AWS answers a call signed with keys it does not take, by service: EC2 `AuthFailure` (HTTP
 * 401, for an access key ID it does not know and a secret that is not the key's alike); the Query
 * APIs of STS and IAM `InvalidClientTokenId` (a key ID no account has) and `SignatureDoesNotMatch`
 * (the wrong secret); SSM, a JSON API, `UnrecognizedClientException` and `InvalidSignatureException`.
 * Packer's own `NoCredentialProviders` is its SDK's chain finding none. None heals by asking again.
 */
const refusals: Record<string, string> = {
  NoCredentialProviders: 'Packer found no AWS credentials (NoCredentialProviders)',
  AuthFailure: 'EC2 refused the AWS credentials (AuthFailure): it could not validate them, as for an access key ID that does not exist or is inactive, or a secret access key that is not its own',
  InvalidClientTokenId: 'AWS refused the AWS credentials (InvalidClientTokenId): no account has the access key ID, or it is inactive',
  UnrecognizedClientException: 'AWS refused the AWS credentials (UnrecognizedClientException): no account has the access key ID, or it is inactive',
  SignatureDoesNotMatch: 'AWS refused the AWS credentials (SignatureDoesNotMatch): the secret access key is not the one of the access key ID',
  InvalidSignatureException: 'AWS refused the AWS credentials (InvalidSignatureException): the secret access key is not the one of the access key ID'
}

const saidInText = new RegExp(`\\b(${Object.keys(refusals).join('|')})\\b`)

/**
 * EC2's AuthFailure for a call signed for a scope it does not serve, not for the keys: "Credential
 * should be scoped to a valid region, not 'us-east-7'." (a region EC2 has not), or "… to correct
 * service". The keys may be good; the words name what to change.
 */
const scopeRefused = /Credential should be scoped to/

/**
 * Packer's failure to assume an assume_role's role ("IAM Role (ARN) cannot be assumed."), which
 * ends with its SDK's NoCredentialProviders though the step has credentials: Packer's words,
 * on role_arn, say what to check.
 */
const roleNotAssumed = /IAM Role \(.*\) cannot be assumed/

/** The code of AWS's refusal of the credentials (or Packer's finding none) that words said of an error tell of, if they do. */
export function refusedCredentialsCode(text: string): string | undefined {
  const code = saidInText.exec(text)?.[1]
  if (code === 'AuthFailure' && scopeRefused.test(text)) return undefined
  if (code === 'NoCredentialProviders' && roleNotAssumed.test(text)) return undefined
  return code
}

/** What a build whose Packer met `code` (refusedCredentialsCode) was told, and what to change. */
export function refusedCredentialsText(code: string): string {
  const change =
    code === 'NoCredentialProviders'
      ? 'Add aws-actions/configure-aws-credentials before this step, or give the builder credentials of its own.'
      : "Check the keys the workflow gives the step (the secrets passed to aws-actions/configure-aws-credentials, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY): a key that was rotated or deleted, or a secret pasted with a character too many or too few, is refused so; asking again does not help."
  return `${refusals[code] ?? code}. ${change}`
}

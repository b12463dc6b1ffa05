// The shape of an AWS region's name, for the aws-region input and the manifest's artifact IDs.

/**
 * An AWS region's name, unanchored: lower-case parts joined by hyphens, the last a number. The
 * first part is not always two letters: us-gov-west-1, cn-north-1, but also the European
 * Sovereign Cloud's eusc-de-east-1.
 */
export const regionName = '[a-z]{2,}(?:-[a-z]+)+-\\d+'

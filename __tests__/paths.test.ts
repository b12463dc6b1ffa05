import { describe, expect, it } from '@jest/globals'
import { posix, win32 } from 'node:path'
import { isPathSeparator, liesInside, templateInWorkspace, workspaceRelative } from '../src/common/paths.js'

describe('paths on a Windows runner', () => {
  const workspace = 'D:\\a\\repo\\repo'

  it('names a file in the workspace with `/` between its parts, as the repository does, for an annotation', () => {
    expect(workspaceRelative('D:\\a\\repo\\repo\\packer\\web\\templates\\web.pkr.hcl', workspace, win32)).toBe(
      'packer/web/templates/web.pkr.hcl'
    )
    // Windows names the same file with either separator and any case of the drive.
    expect(workspaceRelative('d:/a/repo/repo/vars/prod.pkrvars.hcl', workspace, win32)).toBe('vars/prod.pkrvars.hcl')
    expect(workspaceRelative('C:\\elsewhere\\web.pkr.hcl', workspace, win32)).toBe('C:\\elsewhere\\web.pkr.hcl')
    expect(workspaceRelative('D:\\a\\repo\\other\\web.pkr.hcl', workspace, win32)).toBe('D:\\a\\repo\\other\\web.pkr.hcl')
  })

  it('tells what lies inside the workspace by Windows rules', () => {
    expect(liesInside('D:\\a\\repo\\repo\\..cache\\x', workspace, win32)).toBe(true)
    expect(liesInside('D:\\a\\repo\\repo', workspace, win32)).toBe(true)
    expect(liesInside('D:\\a\\repo\\repo2\\x', workspace, win32)).toBe(false)
    expect(liesInside('E:\\a\\repo\\repo\\x', workspace, win32)).toBe(false)
  })

  it('keeps a `\\` in a name elsewhere, where it separates nothing', () => {
    expect(workspaceRelative('/home/runner/work/repo/repo/odd\\name.json', '/home/runner/work/repo/repo', posix)).toBe('odd\\name.json')
    expect(isPathSeparator('\\', 'linux')).toBe(false)
    expect(isPathSeparator('\\', 'win32')).toBe(true)
    expect(isPathSeparator('/', 'darwin')).toBe(true)
  })
})

describe('the template as the repository names it', () => {
  const workspace = '/home/runner/work/repo/repo'

  it('joins working-directory and template, from the workspace: a directory, a file, the workspace itself', () => {
    const at = (workingDirectory: string, template: string) => templateInWorkspace({ workspace, workingDirectory: posix.join(workspace, workingDirectory), template })
    expect(at('images/web', '.')).toBe('images/web')
    expect(at('images/web', 'ami.pkr.hcl')).toBe('images/web/ami.pkr.hcl')
    expect(at('images', 'web/ami.pkr.hcl')).toBe('images/web/ami.pkr.hcl')
    expect(at('.', '.')).toBe('.')
    expect(at('.', 'packer-template.json')).toBe('packer-template.json')
  })
})

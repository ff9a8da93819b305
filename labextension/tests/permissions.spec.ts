import { aliasRefusal, maintainerRefusal, writeRefusal } from '../src/permissions';
import type { DescribeIdentity, DescribeModel } from '../src/types';

function who(user: string, role: string): DescribeIdentity {
  return { user, role, protected_aliases: ['production'], trusted_users: [] };
}

const model = {
  name: 'mnist',
  maintainers: ['ana'],
  aliases: {},
  labels: [],
  metadata: {},
  notes: '',
  archived: false,
  description: null,
  creation_time: '2026-12-03T00:00:00Z',
  last_updated_time: '2026-12-03T00:00:00Z',
  num_versions: 0,
  latest_version: null
} as DescribeModel;

describe('team rules in the panel', () => {
  it('lets read-only users write nothing', () => {
    expect(writeRefusal(who('rita', 'readonly'), 'register versions')).toMatch(
      /rita may only read/
    );
    expect(writeRefusal(who('ben', 'member'), 'register versions')).toBeNull();
  });

  it('leaves archiving and deleting to maintainers and admins', () => {
    expect(maintainerRefusal(who('ana', 'member'), model, 'delete this model')).toBeNull();
    expect(maintainerRefusal(who('root', 'admin'), model, 'delete this model')).toBeNull();
    expect(maintainerRefusal(who('ben', 'member'), model, 'delete this model')).toBe(
      'Only the maintainers of mnist (ana) and admins may delete this model.'
    );
  });

  it('protects only the protected aliases', () => {
    expect(aliasRefusal(who('ben', 'member'), model, 'staging', 'remove')).toBeNull();
    expect(aliasRefusal(who('ben', 'member'), model, 'production', 'remove')).toMatch(
      /protected alias production/
    );
    expect(aliasRefusal(who('ana', 'member'), model, 'production', 'remove')).toBeNull();
  });

  it('refuses nothing before the identity is known (the server still decides)', () => {
    expect(maintainerRefusal(null, model, 'delete this model')).toBeNull();
  });
});

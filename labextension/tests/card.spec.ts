import { splitCard } from '../src/card';

describe('splitCard', () => {
  it('splits a front matter from the body', () => {
    expect(splitCard('---\nlicense: mit\n---\n# Body\n')).toEqual({
      front: 'license: mit',
      body: '# Body\n'
    });
  });

  it('leaves notes without a front matter whole, a later rule included', () => {
    expect(splitCard('# Notes\n\n---\n\nmore')).toEqual({
      front: null,
      body: '# Notes\n\n---\n\nmore'
    });
  });

  it('shows an unclosed front matter as front matter while it is typed', () => {
    expect(splitCard('---\nlicense: mit\n')).toEqual({ front: 'license: mit\n', body: '' });
  });
});

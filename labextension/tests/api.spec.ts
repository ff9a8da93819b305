import {
  RegistryApiError,
  RegistryClient,
  loadSnippet,
  metadataPatch,
  validateAlias,
  validateName
} from '../src/api';

interface ICall {
  path: string;
  method: string;
  body: unknown;
  headers: Record<string, string>;
}

/** A client whose requests are recorded and answered by `answer`. */
function fakeClient(answer: (call: ICall) => Response | Promise<Response>): {
  client: RegistryClient;
  calls: ICall[];
} {
  const calls: ICall[] = [];
  const client = new RegistryClient(async (path, init) => {
    const call: ICall = {
      path,
      method: init.method ?? 'GET',
      body: init.body ? JSON.parse(init.body as string) : undefined,
      headers: (init.headers ?? {}) as Record<string, string>
    };
    calls.push(call);
    return answer(call);
  });
  return { client, calls };
}

function json(data: unknown, status = 200): Response {
  return new Response(JSON.stringify(data), {
    status,
    headers: { 'Content-Type': 'application/json' }
  });
}

const MODEL = {
  name: 'mnist_cnn',
  description: null,
  metadata: {},
  labels: ['vision'],
  notes: '',
  archived: false,
  creation_time: '2026-11-22T19:00:00Z',
  last_updated_time: '2026-11-22T19:00:00Z',
  num_versions: 0,
  latest_version: null
};

describe('RegistryClient routes', () => {
  it('lists models with every query parameter', async () => {
    const { client, calls } = fakeClient(() => json({ models: [MODEL], total: 1 }));
    const response = await client.listModels({
      sort_by: 'creation_time',
      order_by: 'desc',
      name: 'mn ist',
      description: 'ocr',
      label: ['vision', 'cnn'],
      archived: false,
      offset: 50,
      limit: 50
    });
    expect(response.total).toBe(1);
    expect(response.models[0].name).toBe('mnist_cnn');
    expect(calls[0].method).toBe('GET');
    expect(calls[0].path).toBe(
      'models?sort_by=creation_time&order_by=desc&name=mn+ist&description=ocr' +
        '&label=vision&label=cnn&archived=false&offset=50&limit=50'
    );
  });

  it('lists models without a query string when no filter is given', async () => {
    const { client, calls } = fakeClient(() => json({ models: [], total: 0 }));
    await client.listModels();
    await client.listModels({ name: '' });
    expect(calls.map(c => c.path)).toEqual(['models', 'models']);
  });

  it('uses the documented verbs and paths, with names URL-encoded', async () => {
    const { client, calls } = fakeClient(call =>
      call.method === 'DELETE' ? new Response(null, { status: 204 }) : json(MODEL)
    );
    await client.getModel('a.b-c');
    await client.createModel({ name: 'm', labels: ['x'] });
    await client.updateModel('m', { archived: true });
    await client.patchModelMetadata('m', { add: { k: 1 }, remove: ['old'] });
    await client.deleteModel('m');
    await client.listVersions('m', 0, 100);
    await client.getVersion('m', 'production');
    await client.registerVersion('m', { checkpoint_uuid: 'u', aliases: ['staging'] });
    await client.updateVersion('m', 2, { notes: 'n' });
    await client.deleteVersion('m', 2);
    await client.setAlias('m', 'production', 3);
    await client.removeAlias('m', 'production');
    await client.getModel('we ird/name');
    expect(calls.map(c => `${c.method} ${c.path}`)).toEqual([
      'GET models/a.b-c',
      'POST models',
      'PATCH models/m',
      'PATCH models/m/metadata',
      'DELETE models/m',
      'GET models/m/versions?offset=0&limit=100',
      'GET models/m/versions/production',
      'POST models/m/versions',
      'PATCH models/m/versions/2',
      'DELETE models/m/versions/2',
      'PUT models/m/aliases/production',
      'DELETE models/m/aliases/production',
      'GET models/we%20ird%2Fname'
    ]);
    expect(calls[1].body).toEqual({ name: 'm', labels: ['x'] });
    expect(calls[1].headers['Content-Type']).toBe('application/json');
    expect(calls[3].body).toEqual({ add: { k: 1 }, remove: ['old'] });
    expect(calls[7].body).toEqual({ checkpoint_uuid: 'u', aliases: ['staging'] });
    expect(calls[10].body).toEqual({ version: 3 });
    expect(calls[0].headers).toEqual({});
  });

  it('unwraps the checkpoint list', async () => {
    const { client, calls } = fakeClient(() => json({ checkpoints: [{ uuid: 'abc' }] }));
    const checkpoints = await client.listCheckpoints(5);
    expect(checkpoints.map(c => c.uuid)).toEqual(['abc']);
    expect(calls[0].path).toBe('checkpoints?limit=5');
  });
});

describe('RegistryClient version pages', () => {
  it("patches a version's metadata and asks for a file's tensors by path", async () => {
    const { client, calls } = fakeClient(() => json({}));
    await client.patchVersionMetadata('m', 'production', { add: { k: 1 }, remove: [] });
    await client.getTensors('u-1', 'weights/model 1.safetensors');
    expect(calls.map(c => `${c.method} ${c.path}`)).toEqual([
      'PATCH models/m/versions/production/metadata',
      'GET checkpoints/u-1/safetensors?path=weights%2Fmodel+1.safetensors'
    ]);
    expect(calls[0].body).toEqual({ add: { k: 1 }, remove: [] });
  });
});

describe('RegistryClient errors', () => {
  it('turns the registry error body into a readable RegistryApiError', async () => {
    const { client } = fakeClient(() =>
      json({ error: { type: 'ConflictError', message: "model 'm' already exists" } }, 409)
    );
    const error = await client.createModel({ name: 'm' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryApiError);
    expect((error as RegistryApiError).message).toBe("model 'm' already exists");
    expect((error as RegistryApiError).status).toBe(409);
    expect((error as RegistryApiError).type).toBe('ConflictError');
  });

  it("reads Jupyter server's own {message} errors", async () => {
    const { client } = fakeClient(() => json({ message: 'Forbidden', reason: null }, 403));
    await expect(client.getModel('m')).rejects.toMatchObject({ status: 403, message: 'Forbidden' });
  });

  it('describes non-JSON error pages without dumping HTML', async () => {
    const { client } = fakeClient(
      () => new Response('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway' })
    );
    await expect(client.getModel('m')).rejects.toMatchObject({
      status: 502,
      message: 'The registry server answered 502 Bad Gateway'
    });
  });

  it('reports a network failure as a RegistryApiError', async () => {
    const client = new RegistryClient(async () => {
      throw new TypeError('Failed to fetch');
    });
    await expect(client.listModels()).rejects.toMatchObject({
      status: 0,
      type: 'NetworkError',
      message: 'Cannot reach the registry server: Failed to fetch'
    });
  });
});

describe('validation helpers', () => {
  it('follows the server name rule', () => {
    expect(validateName('mnist_cnn')).toBeNull();
    expect(validateName('a')).toBeNull();
    expect(validateName('resnet50.v2-final')).toBeNull();
    expect(validateName('x'.repeat(128))).toBeNull();
    expect(validateName('')).toMatch(/required/);
    expect(validateName('x'.repeat(129))).toMatch(/1-128/);
    for (const bad of ['_x', '-x', '.x', 'a b', 'a/b', 'a:b', 'a..b', 'é']) {
      expect(validateName(bad)).toMatch(/Invalid name/);
    }
  });

  it('rejects aliases that read as versions or latest', () => {
    expect(validateAlias('production')).toBeNull();
    expect(validateAlias('latest')).toMatch(/reserved/);
    expect(validateAlias('3')).toMatch(/version number/);
    expect(validateAlias('v12')).toMatch(/version number/);
    expect(validateAlias('a b')).toMatch(/Invalid alias/);
  });

  it('computes a top-level metadata patch', () => {
    const before = { key: 'value', metrics: { acc: 0.9 }, drop: 1 };
    const after = { key: 'value', metrics: { acc: 0.97 }, added: [1] };
    expect(metadataPatch(before, after)).toEqual({
      add: { metrics: { acc: 0.97 }, added: [1] },
      remove: ['drop']
    });
    expect(metadataPatch(after, after)).toEqual({ add: {}, remove: [] });
  });

  it('writes a load snippet with the reference quoted', () => {
    const snippet = loadSnippet('mnist_cnn:production');
    expect(snippet).toContain('from jupyter_registry import Registry');
    expect(snippet).toContain('Registry().get_model_version("mnist_cnn:production")');
    expect(snippet).toContain('.load()');
  });
});

// ONNX Runtime, the second peer of typenet's benchmark suite: times the models make_weights.py
// exported, with the same inputs, in each model's (batch, threads) configurations of
// model_zoo.MODELS (as manifest.json lists them), after checking ONNX Runtime's outputs against
// PyTorch's.
// Then the sequence models of sequence_zoo.py (DATA_DIR/sequence/, when there: the output's
// sequence_results), on one thread: GRU and LSTM one time step at a time (batch 1; the state
// h_n (c_n) each call returns is fed back as the next call's h0 (c0), in JavaScript) after checking
// the first steps so against PyTorch's, and a whole 1,000-step sequence from a zero state; the
// TransformerEncoder at batch 1 and 16. --only=sequence runs these (and the call overhead) alone.
// Timings follow Google Benchmark's scheme: each repetition runs enough iterations to last
// --min-time seconds and records the mean time per call; the report takes min and median.
//
//     node bench_ort.js DATA_DIR OUTPUT.json [--repetitions=5] [--min-time=0.5] [--only=sequence]
//
// The time includes what Node and onnxruntime-node add to each session.run (tensor wrapping, the
// promise); a model with one ReLU on 16 values measures that cost, reported as call_overhead.
// Exit status 1 if any output differs from PyTorch's by more than 1e-4 of the output's scale.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const ort = require('onnxruntime-node');

const TOLERANCE = 1e-4;

function parseArgs(argv) {
  const positional = [];
  const options = { repetitions: 5, minTime: 0.5, only: null };
  for (const arg of argv) {
    const m = /^--([a-z-]+)=(.*)$/.exec(arg);
    if (!m) positional.push(arg);
    else if (m[1] === 'repetitions') options.repetitions = parseInt(m[2], 10);
    else if (m[1] === 'min-time') options.minTime = parseFloat(m[2]);
    else if (m[1] === 'only' && m[2] === 'sequence') options.only = m[2];
    else throw new Error(`bench_ort.js: unknown option --${m[1]}`);
  }
  if (positional.length !== 2) {
    throw new Error('usage: node bench_ort.js DATA_DIR OUTPUT.json [--repetitions=N] [--min-time=SECONDS] ' +
                    '[--only=sequence]');
  }
  return { dataDir: positional[0], output: positional[1], ...options };
}

// Raw little-endian float32, as make_weights.py writes it (this host is little-endian too). The
// copy gives the array its own 4-byte aligned buffer.
function readFloats(file) {
  const bytes = fs.readFileSync(file);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

// Largest |a - b| over the largest |b|: the error relative to the output's scale.
function relativeError(actual, expected) {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; ++i) {
    const d = Math.abs(actual[i] - expected[i]);
    diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return scale > 0 ? diff / scale : diff;
}

async function createSession(file, threads) {
  return ort.InferenceSession.create(file, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
}

const seconds = (start) => Number(process.hrtime.bigint() - start) / 1e9;

// Mean seconds per call, for `repetitions` windows of at least minTime seconds each.
async function time(run, repetitions, minTime) {
  let calls = 0;
  const warmStart = process.hrtime.bigint();
  while (calls < 10 || seconds(warmStart) < 0.1) {
    await run();
    ++calls;
  }
  const perCall = seconds(warmStart) / calls;
  const iterations = Math.max(1, Math.ceil(minTime / perCall));
  const times = [];
  for (let r = 0; r < repetitions; ++r) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; ++i) await run();
    times.push(seconds(start) / iterations);
  }
  return { iterations, times_s: times };
}

// Records a sequence row's check and, if it passed, its timing.
async function sequenceRow(report, args, model, what, error, run) {
  const name = `onnxruntime/${model}/${what}`;
  console.log(`  ${`${model} ${what}`.padEnd(34)} ONNX Runtime vs PyTorch: ${error.toExponential(1)} ` +
              'of the output\'s scale');
  if (!(error <= TOLERANCE)) {
    report.errors.push(`${name}: outputs differ from PyTorch's by ${error} of their scale (limit ${TOLERANCE})`);
    console.error(`ERROR ${report.errors[report.errors.length - 1]}`);
    return;
  }
  const timing = await time(run, args.repetitions, args.minTime);
  const sorted = [...timing.times_s].sort((a, b) => a - b);
  report.sequence_results.push({ name, peer: 'onnxruntime', model, what, relative_error: error, ...timing });
  console.log(`${name.padEnd(48)} min ${(sorted[0] * 1e6).toFixed(1)} us   ` +
              `median ${(sorted[Math.floor(sorted.length / 2)] * 1e6).toFixed(1)} us`);
}

// A recurrent model: x [1, T, H] and the state in, y [1, T, H] and the state out.
async function recurrentRows(dir, model, args, report) {
  const session = await createSession(path.join(dir, `${model.name}.onnx`), 1);
  const inputs = readFloats(path.join(dir, `${model.name}.input.bin`));
  const expected = readFloats(path.join(dir, `${model.name}.output.bin`));
  const size = model.size;
  const zero = () => new ort.Tensor('float32', new Float32Array(size), [1, 1, size]);
  const stateOut = { h0: 'h_n', c0: 'c_n' };

  // One step: the first step's input, the state of the last call.
  const stepX = (t) => new ort.Tensor('float32', inputs.slice(t * size, (t + 1) * size), [1, 1, size]);
  let feeds = { x: stepX(0) };
  for (const s of model.state_inputs) feeds[s] = zero();
  const steps = new Float32Array(model.checked_steps * size);
  for (let t = 0; t < model.checked_steps; ++t) {
    feeds.x = stepX(t);
    const out = await session.run(feeds);
    steps.set(out.y.data, t * size);
    for (const s of model.state_inputs) feeds[s] = out[stateOut[s]];
  }
  const stepError = relativeError(steps, expected.subarray(0, steps.length));
  feeds = { x: stepX(0) };
  for (const s of model.state_inputs) feeds[s] = zero();
  await sequenceRow(report, args, model.name, 'step', stepError, async () => {
    const out = await session.run(feeds);
    for (const s of model.state_inputs) feeds[s] = out[stateOut[s]];
  });

  // The whole sequence from a zero state.
  const whole = { x: new ort.Tensor('float32', inputs, model.input_shape) };
  for (const s of model.state_inputs) whole[s] = zero();
  const sequenceError = relativeError((await session.run(whole)).y.data, expected);
  await sequenceRow(report, args, model.name, `${model.steps}_steps`, sequenceError, () => session.run(whole));
  await session.release();
}

async function encoderRows(dir, model, args, report) {
  const session = await createSession(path.join(dir, `${model.name}.onnx`), 1);
  const inputs = readFloats(path.join(dir, `${model.name}.input.bin`));
  const expected = readFloats(path.join(dir, `${model.name}.output.bin`));
  const sample = model.input_shape.reduce((a, b) => a * b, 1);
  for (const batch of model.batches) {
    const feeds = {
      [session.inputNames[0]]: new ort.Tensor('float32', inputs.subarray(0, batch * sample),
        [batch, ...model.input_shape]),
    };
    const outputs = await session.run(feeds);
    const error = relativeError(outputs[session.outputNames[0]].data, expected.subarray(0, batch * sample));
    await sequenceRow(report, args, model.name, `batch:${batch}`, error, () => session.run(feeds));
  }
  await session.release();
}

async function sequenceModels(dir, args, report) {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  console.log(`sequence models (${dir}), one thread; outputs against PyTorch's, tolerance ${TOLERANCE}:`);
  for (const model of manifest.models) {
    if (model.kind === 'transformer') await encoderRows(dir, model, args, report);
    else await recurrentRows(dir, model, args, report);
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const sequenceOnly = args.only === 'sequence';
  // The main suite's manifest (make_weights.py), unless only the sequence models run.
  const manifestDir = sequenceOnly ? path.join(args.dataDir, 'sequence') : args.dataDir;
  const manifest = JSON.parse(fs.readFileSync(path.join(manifestDir, 'manifest.json'), 'utf8'));
  ort.env.logLevel = 'warning';
  const report = {
    context: {
      date: new Date().toISOString(),
      onnxruntime_version: ort.env.versions.node,
      node_version: process.version,
      cpu: os.cpus()[0].model,
      repetitions: args.repetitions,
      min_time_s: args.minTime,
      only: args.only,
      session_options: 'cpu EP, graphOptimizationLevel all, sequential, interOpNumThreads 1',
    },
    results: [],
    sequence_results: [],
    errors: [],
  };

  for (const model of sequenceOnly ? [] : manifest.models) {
    const file = path.join(args.dataDir, `${model.name}.onnx`);
    const inputs = readFloats(path.join(args.dataDir, `${model.name}.input.bin`));
    const expected = readFloats(path.join(args.dataDir, `${model.name}.output.bin`));
    const inputSize = model.input_shape.reduce((a, b) => a * b, 1);
    const outputSize = model.output_shape.reduce((a, b) => a * b, 1);
    // (batch, intra-op threads), as the C++ suite runs them.
    for (const { batch, threads } of model.configurations) {
      const session = await createSession(file, threads);
      const feeds = {
        [session.inputNames[0]]: new ort.Tensor('float32', inputs.subarray(0, batch * inputSize),
          [batch, ...model.input_shape]),
      };
      const outputs = await session.run(feeds);
      const error = relativeError(outputs[session.outputNames[0]].data, expected.subarray(0, batch * outputSize));
      const name = `onnxruntime/${model.name}/batch:${batch}/threads:${threads}`;
      if (!(error <= TOLERANCE)) {
        report.errors.push(`${name}: outputs differ from PyTorch's by ${error} of their scale (limit ${TOLERANCE})`);
        console.error(`ERROR ${report.errors[report.errors.length - 1]}`);
        continue;
      }
      const timing = await time(() => session.run(feeds), args.repetitions, args.minTime);
      const sorted = [...timing.times_s].sort((a, b) => a - b);
      report.results.push({
        name, peer: 'onnxruntime', model: model.name, batch, threads, relative_error: error, ...timing,
      });
      console.log(`${name.padEnd(48)} min ${(sorted[0] * 1e6).toFixed(1)} us   ` +
                  `median ${(sorted[Math.floor(sorted.length / 2)] * 1e6).toFixed(1)} us   (error ${error.toExponential(1)})`);
      await session.release();
    }
  }

  const sequenceDir = path.join(args.dataDir, 'sequence');
  if (fs.existsSync(path.join(sequenceDir, 'manifest.json'))) {
    await sequenceModels(sequenceDir, args, report);
  } else if (sequenceOnly) {
    throw new Error(`bench_ort.js: no ${sequenceDir}/manifest.json; make it with bench/sequence_zoo.py`);
  }

  const trivial = await createSession(path.join(manifestDir, manifest.trivial.file), 1);
  const feeds = { [trivial.inputNames[0]]: new ort.Tensor('float32', new Float32Array(16), [1, 16]) };
  report.call_overhead = { model: 'one ReLU on 16 floats', ...(await time(() => trivial.run(feeds), args.repetitions, args.minTime)) };
  const overhead = [...report.call_overhead.times_s].sort((a, b) => a - b);
  console.log(`${'onnxruntime/call_overhead'.padEnd(48)} min ${(overhead[0] * 1e6).toFixed(1)} us`);

  fs.writeFileSync(args.output, JSON.stringify(report, null, 2) + '\n');
  if (report.errors.length > 0) {
    console.error(`bench_ort.js: ${report.errors.length} model(s) gave wrong outputs; see above`);
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

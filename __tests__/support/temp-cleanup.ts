import { removeTempDirs } from './temp';

afterAll(removeTempDirs);

"""graph.mmd (survey 5.2): descriptors, orbit counts and MMD^2 against independent references.

References: ORCA's own published output (thocevar/orca graph.in / node-4.out, embedded below), a brute-force
enumeration of connected induced subgraphs, networkx/numpy/scipy descriptors, an explicit-loop MMD, and
hand-worked GRAN/GraphRNN-style numbers.
"""
from __future__ import annotations

import base64
import math
import zlib
from itertools import combinations

import networkx as nx
import numpy as np
import pytest
from scipy.linalg import eigvalsh
from scipy.stats import wasserstein_distance

from synthaudit.data.graph import prepare_graph
from synthaudit.metrics.graph.fidelity import graph_mmd
from synthaudit.stats.graph_descriptors import (clustering_histograms, degree_histograms, laplacian_eigenvalues,
                                                orbit_features, pack, spectral_histograms)
from synthaudit.stats.graph_mmd import mmd2
from synthaudit.stats.orbits import orbit_counts

# thocevar/orca@07e58b8: graph.in (100 nodes, 1000 edges) and node-4.out (ORCA's orbit counts), zlib + base64
ORCA_GRAPH_IN = (
    "eNo9mUmS5TgMQ/cZ8e/gI1gSNd3/YkXg0bXpjvy2JQ4gCLLa+z7tfd/f3/uc9fvr79Pn76/1Z5/f331O5G/x3P77O+254/e3n7j5"
    "m5+8z85v2nh2HjCfuX9/q/m3MZ9o+eg8Ld+O91n5xlnPyVdmvpIfx/Udg7/GeeL1xVPH3+cund/y/VjP1f+275/PTmP68G/5+k1z"
    "1/Tr+zw3T4xhE95n5qMzniOH4on8uKXF+VdMX93XM3V1Oiuz8q/8cb/PDbmuy3oenG7c6YP7eUb3+yMP6f2J/Gum3+Ww4oeR6VTk"
    "ITPscAZBL+bd149ms62nHJV5Gdv0fizbPPKzfGUFzwYfELzoz9q+dSu+2+nKaKzjv46M5rD053R/7uiFnYzmcGRKFeaMynwd2aU4"
    "PE23Hrvcnqa7p8OWJ+r8sB/n9RF5oG2dTv77jPR+dbuYURZg8iuFZHcnOC1WZGRxCEVDYMnkKOTbsUhLFbQ8ZOms52DazUfrYtQ2"
    "7IYdm9tJydD1ZTTJ90y6ASMLE4qrfDg6T7g501e9oAzLEvOCwbz+amQsZcx9Zic0uCJnw3hMO5WJhIEqQXg5tlrJus5cwt6YWP4t"
    "E7/Io7A3fWBaPa7hssjfaI6U6yPsrMpE+ahANBup8srbDvEAElkEOjJhr0u70TJeQtqovzBobrhMBlk6gPp2RzihMI5jsWRJczTX"
    "CwE0R1DfdUdtDcdpDqDXDVlVzR7U9DIoxrbpjbIBDYs32uLk6xra0zaIJnTW9VmNJM3us+Lph8yad/hWoExcCQ0gKbOmeKqOGpWz"
    "XOZyW5RxXRYqBHHFwuCLozijqIkejECZIZLovnL7vQ0t6L3TXWiiBeHnAJVuIusgmwOTAMKuqwIulbX89n0/vjD7ulTP002nBQLz"
    "HEbn2XCTiEoVLfyB2qf5aEMREGYYVdUq102dwl3OzPBfQRDSK+rfbH59fXdBH3td5ZytYTg4y1cFMXX+Op863ftDtmsLlCwnIoEq"
    "NgkYMH1eVJ8p1lWs5AzIsROj4wKWRfLXx7v4lxO9tk1LrxTFBVmokLdjr9BldgKuL+7W3XJiuzwWBed2MB3k7HNK3ajAhtvacQNL"
    "b0S3s2BC++vjIzZ1vHQupm/1j83BygoIvJO1+bkvT7euK1o5mJQyZJLVe+lIytKuxFDKxER1ChBFmXnUGE6dgKgCbRBTc2Gbk+l/"
    "dkPtbNtDoYl8qkj0yCckPAKMqtFlBS769aLbywnVz+vPbM5wrQ5qRZ4tA1ARyea8UBanGlc4AVYLlxB2o0T+QkVCXSJINZHBMgNt"
    "0uZWgkhQHx5+XXDP8xWKqCqcpt50cZBLfQ78Go+yY1Gsy1Umcs1sycSkch9IxxxUU9jCzI9QtOBTkKWy5irXPcw85kc9LpYGMDcn"
    "FomEo6u+blkjSKUKclgWALu0WMipEf7A1AMh0E2OH2UcuLE5NgZxsW3ARnRu1cdra5TWRfPNSwYRviCpd3uhN3sFuhUO9Sh7tvkz"
    "UEaV1dfhLDLrT1fC3SVTVWz3AFf56+CklLErYV5JU90ssKPRQYQkOoJ7zeuwq5tZQsgaEeh1Tam5rvrr0HgXaSpaPO4dSsJwgUr6"
    "DJCnOr3g/tjtRQ2HpY1OHtS1+u/G0Y5UGSjZa6Bbam7Dt9H1A5UwMQ/1OVyFcuqFtLCgw42br8z+4cyfg4SjUJsJsFOUangd2WlT"
    "J9XrXjjMLwlIMfmEN0teu0zTzUszDUsJUZP5bZd46NT29gHNxZxyWhctMNDhM0A44OLevyZugh5UrNMyqM0LE5+P3A4lvVBxi05Z"
    "CN2+bFXzgMfcT0vLiue/x2qrmzpSGBF4yCT/8XQK87qlqV/Km4bIcw89xq7h7DCBiqB1ZqjN7It+gipPCSCsT8Rw4/Zr4HckuqDS"
    "oIBhGpnmm1PSRlYgwqf/EHGgj/RjYqmEjK9+ndhrR4KpJaunHX9dVm2qp7C3+dqlijRFPIs/JvxBmQX+ii0m0U+YmviCZkETmp4R"
    "hKnXKpHWTWk7ZNOEG6iXQx+7NYI0A2TRXzNhxw3HsAy4/rV2mDyCCyfiRGwyTe9miQYmDz8W7mmXgVZPR2XJIYXfYKgTM6gWqeGr"
    "o0T6qDasJKgtGXgaUjowm0XzhEOjA5MGyJE4TWvsH31XwhhIDBpYMFWISQcKn464iM79/9Vg1u4IzOO5+cLpUUy0Kb6BWJ7MDO4R"
    "NRXqRQViMXDCG0YlKD7Mt1GMOj4Wqcg5TNelHkCExqeOxATU8Map8UQ3WCDIm5qpgINgmXy8UedKidr3YhoRKdiea3/LM6b50745"
    "czmPo1o+rSVQzWaSYlh9O+Jr+NbzTBKzRrrjfEbpO+pYmJhmlEuBIdeWRasVzmusN2vQxoahlQhlXoF7E8KKU9DO1ZaKdelHu8Zo"
    "83ir0NMMPh1FHYwauBhjNn2IwW4wJOv8AZEH8FbBoOFclsjgji6aIBUSH1SpOMmh3zQZA5UiOu7Qi8WFeId4TDSbu3t1VWbJ++kc"
    "D7DfFLVRj8w+m2WE2xWVIqy8+LLcbhydjXh86TrUTVKzABclj/Y3omygbND0b1gQLR6oNe0qpXhQ/VE6plnwwmGyIfl2IDYXSLmI"
    "EIsW55yxZyM5YchOpW8YRBMo4ucD2/HxkwFl0+sDhSCr9vo65WaPoCg0Ng2DVLZWxaGErvNJI8sMxtl5vj2FVOSglUjsE8rBKkMR"
    "PbCNOjLDjgcaZEeATF3HB8rwQRioQgoYZR/j1GXDoYju+L8mq/kdUB6zm6J3i6YoHxYWh2VBt4iY7AaD2XfSnkURzPa1mVteSQkR"
    "m7VFINypVMFqWNhWEXmoYO4YdLpgW8CQNpiDOmPmvujV8NfLHS5gDnF/sOuqwuq01WM3pz3Ti1kwHq8Z5rr1yajVI54t8NYZt9Jw"
    "RUJlD3fYtcaltWJlqFtmCw0GdJ9iMrvGkgaR09GKA/5Ru2TV486IQpMWZZmgH3chrZe825i1aot5cRSmopA9mrJ86AVauF++1T7N"
    "fLgR63CMhwBCPJDG6gqdoq7+h+g+3toeimhCIcprrye7ZjTGHNSDOxw0pencSjaQFwOlZXHCcKZRg4FWWdJwwXA0GVMrg5vNgACb"
    "ROXuRGIkFa456VjKDdarvUiINbPYZP5fxC5mKpfv9bN7YOfXjYru3ZkcDuudcN43BjC3l4g4/3fr+DkYEZoxbMH1NHaFq769oBzd"
    "uqxNBe8NJfT5bdHdCmt0fRERtYVrxt9mpQoHXHadk6Gmkb+Fjjqkca7aBbn9ISQW1j+MgweIT1SFY+7/vizTGJwbY8Hr7AXyZAOb"
    "AbMKse48jTUTfWHwTwReOPo8rZ2ZPDdJO5SFF1EMEK8jM2qoD/aT55trjUqOetHfl4VssOeiHXYGXDYXAW5jfVvdybao+N197alV"
    "s7cTCJxD7xY61D0u29jDmm7TjWu77q8GW/hjzLSi3E2OL7vlavmblbRfHDQgFUxWmbkcCAfL3sZn9+uYyOzCx2UuqK324V8N2DJ1"
    "S4Na8bgkSiHEN8JM1pqeg7bTMdEIp/a0Jph/IS/mZQ=="
)
ORCA_NODE4_OUT = (
    "eNpVmFtyJCoMQ/97FSwBY8Cw/42NjugkNVU3d5JuHn7IsszIlmu10Xtb2eYYo80zextRt50Tba9oa/QW2U/b+iCO/rirxfyMaJn6"
    "pEr/svm0OfW/0XO0o/VL61df7eTU19nuaTfb/kS1sU+L0EW7ZfVoo0622Et/Lmzq2qDbp77ZsmRg3vrEbdltTNM3edZpOW7JoNza"
    "sFrqirllXdf300t1bK52PyE3q7czG3YvfTcyL1tljaxOuT1l1e76UBeWTpwtPnJed8hfnazodJmT53KK/F7aPM9uS5ZFl7tTJsUa"
    "urPa8V45GdNn5cX+LU/inKuwEhX9FKFQTKa8DzkS3LtfeHXs1hLt71o2Q7frYgVR1i5lbmGaPtEvyoQMjKXN66NEZmxnyqHpHH8U"
    "mFKUrtfLXR10FKClLMqgo08/I52BoShM7AulMIZCFJsEkhMlQzZFX7dtfUhkQqfVRxcOrVBCOGXrf4r4IcSK/SXEB3i1rfs4+JJl"
    "pQZj5U/IPjwNPl+CwOgKbQkyWL6EkogBqqYjGgSyg4lxuwOna/IIG5kFLJXiKbfyyhWtPUCmBobrJ2SvzJgJjgRXAXhN4CHXRhLm"
    "yakdwIKjI0zHFlyHUpbK1EhDStA+JIlSkMUjKI1Vhu0osKIociNp1Eejde/bCrmioLMmK4dsjxMEXnEKULwVpwIqrUgRdaN9qkcB"
    "YVByWjE6mNmKigz0nVMmFn9TbDriUjYcqWBhvTbeJN6yxFU+FzWvsMqTojIvUNZ1WuSMKmRXa3XGKsJC+M/gtzLGqLfS6gFYFVdf"
    "SUo31l9XjeF0RR2OKgyzAS9cwl2LpQoaFtaHOlb1jakvBNuZrMT3MdcDe+n6pesjhe9TMogaIl8PTDgr6Gj5DP0+s7NEhpRCMu30"
    "ebld9lY/8j5U7Aq81mb/1v8hgorkSMdZiD9KHNhUEeqTgUtwmM378NspJ5d0JxRGZY+BjVTz0V1rA17qtMt3VYdcBa+P3rZtSfJk"
    "Vgo8E3IA5hTsl0r5ygAuioHVQ9BgKViX8cU6VdcuWT/sXCkoh6LHy11AQR8LPKI2OfCt+u5PzHOs7Tm/Va/A7YDktJE620RvgnpV"
    "ldncpcK/VJhCcfAOmkk6igtRuDWMNvyw6wtL6OELy4KrktJ5ZBiG5pLLJY4iJcq9Etbm4/L84XIQOZKq6NxNRetfrN263Z0MVvnu"
    "09UkbX33DdM9Rd/T5gAPfAjFVzS/zOMUTP4S1NhgC5oLAtshxPt6ANy9tqkCBlJm6FXsV3jZDqTKmaF27KqKBqSDXhN4UlvaUTSA"
    "x28TqAlQROlSdTASNRVwGuDgbigdllQ0A0Q9xpDFP4HaoBQyIqoECobCuoV36mcQiNYYDyzpdH8YmTZHouGbQ/8J+UmDgQUqgBU1"
    "AaY/kFoBetPWzOR80mOS7wu6UPe6sjC1hmBEwZB0WcPJzJ6oitxCtEgPytc5AwjpFrD+4HSAk0qoHijWn68BjwOKeL6mUMtBS/Uc"
    "5aBAIa/B60K0B1zdUQ6FKJLrm4/0x1I8b/RH5VohHlkmKl+jlgYsaKAWQMF5XbZtwWApR0pqF4suiuJpn+t73emDupnwn7oRvVMu"
    "b3m1EAmbupHx7NH+Mozps/2XlS9cSfivAjZ0DGQ14SpRA+wUaDeo86/kyspL3U42FBHD6xoPDFpV8IKSKLThwu+V39aORNxqm+oy"
    "k2qnNwghwvuYVlO08FKrM/qvq0fmipeUt4P2moU6gYo69AJ5IK1EKbL5KQ/tsggiSzIt0T98g06SW7Qr5NpxwWGIIz3dru5zdf65"
    "GrAL8b6wAUBHv1nV/oZzG/uItjDBoRgugqKsFEVqC0RvaIDY4NF5LEzNvQYA0i2NlE5R2u4LtQOkIffXukAEkO/INzr3NA27/49m"
    "DhQokBz084AOApughIFW59Y0GR4AoQhb6LpxTNqKgHkpgO3GAfEvDukElIKj4CmG5+62bkRCXVkjoQpC9fV2Q5hutoY/bhLVno/A"
    "rb45k/zIvRwWfBu1SwvTdpHXQZmla6JBr5+nDy1SRAeTTdPotS6ifSJLp3lMf1i4mn308/RBtxQiR1PMqlLhKyoboq1F5SCr5U3V"
    "fcpYafs2SrmMAERcIEXoiDKhgz6xWSF5+ePSKJl1arulULT/i3KXTcAy6DR07eJqpqIgbOlOr59w9Qlo67duZ0EdSIlFM17TsKFZ"
    "gmtkJlOI00uclxHgvnCQ07ZHZYMnsNAsi6kDWD0hGZLfLsuQgC5C6yr0RHm8dkGnXZ4G3jS1LCjUrdNoTCsZIUGayiITwvLB1OCy"
    "3EQ/h3LP2DBV8y6C/FNBysoGa8PDDUMAgyRtLpAF1CPBGpTS67WoBxQ5FY9I37Am3F9g2V2ZkhtUl3WZ7Yn5mqVBYDAfwPw6N5LC"
    "CdfPhctf4yRg2F7OLDNUpWsoEC0WB+C+5rHBxOnSdxGsMSwd3zx7no5EyOzpumCr++gwXOelUaZ7FN0DHfODpnLtvRZAhxk0Bd+J"
    "RBXQ7rcOzW6zvS5ZZfPB0gaCjNxSBZPRwN3uSZn+rpwQ+ZvRFMQfDAIERg2BHVJGuoEIcat5+EmgC50iO4bnaQEhbydNzHWMU9Oi"
    "8bzwkLj+WAGakKom90oCsxdEhShzeMA58ox+j3BZaDzkike5+YQEY4ryzKjGK8VY1AYzCSMRDwPT9UW1uI9Zd4xvbOvV7iS2DJU0"
    "RCRX3W4VvwSdYxpHSB9uRsB0hzDACpYZ40hETS+y4MklDwESMJ6iXeBvhLCIv38ininJ48Y9721i8liivspc8US858zvcwERY27h"
    "LQNKXlRk6ZAVyzGmSwfYo265/xHMr9GPxydd58kYRnJUFCfxZHDJMH2H1X18edyGoIBl9SLXiwShkTi4vgq+3qjDNjHTm4BRyMOy"
    "IHkWGQ764Z0CaTBt8IbKUb6Jnszf5wlxru2kGoJRrJhv8ZQmjU0/jx2e+N0yX7m9huhWIJulkD3yDQsR06FguMGWauuYrPO3swOF"
    "Tpdj6uDcC7JM6cc3q/gBdb6mC17DXee+Kddg5GEE/SRGJ+9EgZ51rRyOKxaPBgX3qF+WMOthH+198UhBpx2YDZfSuah+nmgGAuKx"
    "kjnXL0izo6vomu51vL4gEP1A1zfytl6gaEBPYQKf568qjOeI8ttL98w973g9qnM4BP8VFkiZeI8ye705evPEh79qicoIXW69gZIH"
    "ID8/0XHn4+GkIzazJLzBuGINby1HVIZfRlBojH0wGdKreMDhMRCkTJ5hpAcpa480Or8Q8byv7fstA3UVT5njvVZsZ6/h+t6oVM5G"
    "QKCbrFLhKnQsGKZ1cu+1VMnwI9hkutgXUIeVh5BxeAelz1wTwxukgJBFan/c+FN6cOPxg06FJ2fLTZH+zXgTBKuf+vL82qg2FwKC"
    "CYGlqk2/jyBj3CpRLYuhu/wa5Vb5I92W+dLa7iKirzK23Ti3XwiZ2PQNMPXz13HJ1+O8dA1ZUiBsXBRwyfCbrbcKB1h/fjZezyJP"
    "SvEIBAMVbTGvdR30UqjBDtUyVb4xCwis/GpUggRArpJCn7MO0afXHPkNkoyt9148LTzRmR4WUAHhByloFGnK6x1PFrxkHv5bjyny"
    "76F50vVADwt1jkUq3W6fYwXG04TM//wDKNUzUA=="
)


def _orca_fixture() -> tuple[nx.Graph, np.ndarray]:
    lines = zlib.decompress(base64.b64decode("".join(ORCA_GRAPH_IN))).decode().split("\n")
    n, m = map(int, lines[0].split())
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(tuple(map(int, line.split())) for line in lines[1:m + 1])
    out = zlib.decompress(base64.b64decode("".join(ORCA_NODE4_OUT))).decode().split()
    return g, np.array(out, dtype=np.int64).reshape(n, 15)


# -- independent references (written for the test) -------------------------------------------------------
def brute_orbits(g: nx.Graph) -> np.ndarray:
    """Orbits 0-14 by enumerating every connected induced subgraph on 2, 3 and 4 nodes."""
    nodes = list(g)
    pos = {u: i for i, u in enumerate(nodes)}
    out = np.zeros((len(nodes), 15), np.int64)
    for k in (2, 3, 4):
        for sub in combinations(nodes, k):
            h = g.subgraph(sub)
            if not nx.is_connected(h):
                continue
            e, deg = h.number_of_edges(), dict(h.degree())
            for u in sub:
                d = deg[u]
                if k == 2:
                    o = 0
                elif k == 3:
                    o = {1: 1, 2: 2}[d] if e == 2 else 3
                elif e == 3:
                    o = {1: 6, 3: 7}[d] if max(deg.values()) == 3 else {1: 4, 2: 5}[d]
                elif e == 4:
                    o = 8 if max(deg.values()) == 2 else {1: 9, 2: 10, 3: 11}[d]
                elif e == 5:
                    o = {2: 12, 3: 13}[d]
                else:
                    o = 14
                out[pos[u], o] += 1
    return out


def ref_degree(g):
    h = np.array(nx.degree_histogram(g), float)
    return h / h.sum()


def ref_clustering(g, bins=100):
    h, _ = np.histogram(list(nx.clustering(g).values()), bins=bins, range=(0.0, 1.0))
    return h / h.sum()


def ref_spectral(g, bins=200):
    ev = eigvalsh(nx.normalized_laplacian_matrix(g, weight=None).todense())  # weights ignored
    h, _ = np.histogram(ev, bins=bins, range=(-1e-5, 2))
    return h / h.sum()


def ref_orbit(g):
    return brute_orbits(g).sum(axis=0) / g.number_of_nodes()


def ref_mmd(xs, ys, kernel, sigma, estimator="biased", scale=1.0):
    """MMD^2 with kernel matrices filled by explicit loops over pairs of (zero-padded) descriptors."""
    width = max(len(v) for v in list(xs) + list(ys))
    xs = [np.pad(np.asarray(v, float), (0, width - len(v))) for v in xs]
    ys = [np.pad(np.asarray(v, float), (0, width - len(v))) for v in ys]

    def k(a, b):
        if kernel == "gaussian_tv":
            d = 0.5 * np.abs(a - b).sum()
        elif kernel == "gaussian_l2":
            d = math.sqrt(((a - b) ** 2).sum())
        else:
            p = np.arange(width) / scale
            d = wasserstein_distance(p, p, a, b)
        return math.exp(-d * d / (2 * sigma * sigma))

    def block(a, b, skip_diag):
        total, count = 0.0, 0
        for i in range(len(a)):
            for j in range(len(b)):
                if skip_diag and i == j:
                    continue
                total += k(a[i], b[j])
                count += 1
        return total / count

    u = estimator == "unbiased"
    return block(xs, xs, u) + block(ys, ys, u) - 2 * block(xs, ys, False)


def small_graphs(seed: int, count: int) -> list[nx.Graph]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        n = int(rng.integers(5, 11))
        out.append(nx.gnp_random_graph(n, float(rng.uniform(0.2, 0.7)), seed=int(rng.integers(1 << 30))))
    return out


def famous() -> list[nx.Graph]:
    return [nx.karate_club_graph(), nx.les_miserables_graph(), nx.florentine_families_graph(),
            nx.davis_southern_women_graph()]


# -- orbit counts -------------------------------------------------------------------------------------------
def test_orbits_equal_orca_published_output():
    g, expected = _orca_fixture()
    assert np.array_equal(orbit_counts(g), expected)


@pytest.mark.parametrize("seed", range(6))
def test_orbits_equal_brute_force(seed):
    rng = np.random.default_rng(seed)
    graphs = [nx.gnp_random_graph(int(rng.integers(4, 13)), p, seed=seed * 10 + i)
              for i, p in enumerate((0.15, 0.3, 0.5, 0.8))]
    graphs += [nx.star_graph(5), nx.complete_graph(6), nx.cycle_graph(7), nx.path_graph(5),
               nx.empty_graph(3), nx.barabasi_albert_graph(12, 3, seed=seed)]
    for g in graphs:
        assert np.array_equal(orbit_counts(g), brute_orbits(g)), g
    batch = pack(graphs)  # many graphs in one call: same counts, per-node means
    expected = np.array([ref_orbit(g) for g in graphs])
    assert np.allclose(orbit_features(batch), expected, rtol=0, atol=1e-12)


def test_orbits_undirected_view_of_directed_and_relabelled_graphs():
    g = nx.gnp_random_graph(10, 0.4, seed=3, directed=True)
    h = nx.relabel_nodes(g.to_undirected(), {u: f"n{u}" for u in g})
    assert np.array_equal(orbit_counts(g), brute_orbits(g.to_undirected()))
    assert np.array_equal(orbit_counts(h), brute_orbits(h))


# -- descriptors ---------------------------------------------------------------------------------------------
def test_descriptors_equal_networkx_numpy_scipy():
    graphs = famous() + small_graphs(1, 20) + [nx.barabasi_albert_graph(150, 4, seed=2)]
    batch = pack(graphs)
    deg, clu, spe = degree_histograms(batch), clustering_histograms(batch), spectral_histograms(batch, workers=2)
    for i, g in enumerate(graphs):
        r = ref_degree(g)
        assert np.array_equal(deg[i, :len(r)], r) and not deg[i, len(r):].any()
        assert np.array_equal(clu[i], ref_clustering(g))
        assert np.array_equal(spe[i], ref_spectral(g))


def test_spectral_eigenvalues_equal_numpy_eigvalsh():
    graphs = famous() + small_graphs(4, 10) + [nx.path_graph(6), nx.empty_graph(4)]
    for g, ev in zip(graphs, laplacian_eigenvalues(pack(graphs), workers=2)):
        expected = np.linalg.eigvalsh(nx.normalized_laplacian_matrix(g, weight=None).toarray())
        assert np.allclose(ev, expected, rtol=0, atol=1e-10)


# -- MMD ---------------------------------------------------------------------------------------------------------
def test_mmd_of_a_set_with_itself():
    graphs = small_graphs(5, 30)
    for name, x in zip(("degree", "clustering", "spectral", "orbit"),
                       (degree_histograms(pack(graphs)), clustering_histograms(pack(graphs)),
                        spectral_histograms(pack(graphs)), orbit_features(pack(graphs)))):
        for kernel in ("gaussian_tv", "gaussian_emd", "gaussian_l2"):
            assert mmd2(x, x.copy(), kernel, 0.5).mmd2 == 0.0, (name, kernel)
            unbiased = mmd2(x, x.copy(), kernel, 0.5, "unbiased").mmd2
            assert -1.0 < unbiased <= 0.0  # U-statistic of identical sets: 2 (Kxx_u - Kxx_v) <= 0


@pytest.mark.parametrize("kernel", ["gaussian_tv", "gaussian_emd", "gaussian_l2"])
@pytest.mark.parametrize("estimator", ["biased", "unbiased"])
def test_metric_equals_explicit_loop_reference(kernel, estimator):
    syn, real = small_graphs(7, 14), small_graphs(8, 11)
    inputs = prepare_graph(synthetic=syn, real=real,
                           params={"graph.mmd": {"kernel": kernel, "estimator": estimator}})
    res = graph_mmd(inputs, None)
    sigma = {"degree": 1.0, "clustering": 0.1, "orbit": 30.0, "spectral": 1.0}
    scale = {"degree": 1.0, "clustering": 100.0, "spectral": 1.0}
    refs = {"degree": ref_degree, "clustering": ref_clustering, "spectral": ref_spectral, "orbit": ref_orbit}
    expected = {}
    for name, f in refs.items():
        k = "gaussian_l2" if name == "orbit" and kernel == "gaussian_emd" else kernel
        expected[name] = ref_mmd([f(g) for g in syn], [f(g) for g in real], k, sigma[name], estimator,
                                 scale.get(name, 1.0))
        assert res.secondary[f"mmd_{name}"] == pytest.approx(expected[name], rel=1e-9, abs=1e-12), name
    assert res.value == pytest.approx(np.mean(list(expected.values())), rel=1e-9, abs=1e-12)


def test_biased_unbiased_relation():
    x, y = orbit_features(pack(small_graphs(9, 12))), orbit_features(pack(small_graphs(10, 17)))
    b, u = mmd2(x, y, "gaussian_l2", 30.0, "biased"), mmd2(x, y, "gaussian_l2", 30.0, "unbiased")
    # V = U + (1 - Kxx_u) / m + (1 - Kyy_u) / n, and both share the cross term
    assert b.k_xy == u.k_xy
    assert b.mmd2 == pytest.approx(u.mmd2 + (1 - u.k_xx) / 12 + (1 - u.k_yy) / 17, rel=1e-12)
    assert b.mmd2 > u.mmd2


def test_hand_worked_gran_and_graphrnn_numbers():
    """Generated {P3, K3} vs reference {paw}. Degree pmfs (padded): P3 [0, 2/3, 1/3, 0], K3 [0, 0, 1, 0],
    paw [0, 1/4, 1/2, 1/4]: TV(P3, K3) = 2/3, TV(P3, paw) = 5/12, TV(K3, paw) = 1/2. Clustering: P3 all 0 (bin 0),
    K3 all 1 (bin 99), paw {0, 1/3 (bin 33), 1, 1}: TV(P3, K3) = 1, TV(P3, paw) = 3/4, TV(K3, paw) = 1/2.
    EMD over degrees (CDF differences): EMD(P3, K3) = 2/3, EMD(P3, paw) = 5/12 + 1/4 = 2/3, EMD(K3, paw) = 1/2.
    Biased MMD^2 = mean k(syn, syn) + k(paw, paw) - 2 mean k(syn, paw), k = exp(-d^2 / (2 sigma^2))."""
    syn, real = [nx.path_graph(3), nx.complete_graph(3)], [nx.Graph([(0, 1), (1, 2), (0, 2), (2, 3)])]
    e = math.exp
    degree_tv = (1 + e(-2 / 9)) / 2 + 1 - e(-25 / 288) - e(-1 / 8)
    clustering_tv = (1 + e(-50)) / 2 + 1 - e(-28.125) - e(-12.5)
    degree_emd = (1 + e(-2 / 9)) / 2 + 1 - e(-2 / 9) - e(-1 / 8)
    res = graph_mmd(prepare_graph(synthetic=syn, real=real,
                                  params={"graph.mmd": {"descriptor": ["degree", "clustering"]}}), None)
    assert res.secondary == {"mmd_degree": pytest.approx(degree_tv, rel=1e-12),
                             "mmd_clustering": pytest.approx(clustering_tv, rel=1e-12)}
    assert res.value == pytest.approx((degree_tv + clustering_tv) / 2, rel=1e-12)
    emd = graph_mmd(prepare_graph(synthetic=syn, real=real, params={
        "graph.mmd": {"descriptor": ["degree"], "kernel": "gaussian_emd"}}), None)
    assert emd.value == pytest.approx(degree_emd, rel=1e-12)
    assert degree_tv == pytest.approx(0.10102, abs=1e-5) and clustering_tv == pytest.approx(1.5, abs=1e-5)


def _swapped(graphs, fraction, seed):
    out = []
    for i, g in enumerate(graphs):
        h = nx.Graph(g)
        nswap = int(round(fraction * h.number_of_edges()))
        try:  # a small dense graph may run out of possible swaps: keep the ones made
            nx.double_edge_swap(h, nswap=nswap, max_tries=100 * nswap + 100, seed=seed * 100 + i)
        except nx.NetworkXAlgorithmError:
            pass
        out.append(h)
    return out


def test_mmd_grows_with_rewiring():
    base = [nx.karate_club_graph(), nx.les_miserables_graph(), nx.florentine_families_graph()]
    base += [nx.graph_atlas(i) for i in (500, 580, 660, 740, 820)]
    real = [nx.convert_node_labels_to_integers(g) for g in base] * 8
    values = {d: [] for d in ("degree", "clustering", "orbit", "spectral")}
    for fraction in (0.0, 0.03, 0.08, 0.25):
        syn = [h for seed in range(8) for h in _swapped(real[:len(base)], fraction, seed)]
        res = graph_mmd(prepare_graph(synthetic=syn, real=real), None)
        for d in values:
            values[d].append(res.secondary[f"mmd_{d}"])
    # double-edge swaps keep every degree: the same histograms (other order: rounding only)
    assert values["degree"][0] == 0.0 and max(abs(v) for v in values["degree"]) < 1e-12
    for d in ("clustering", "orbit", "spectral"):
        assert values[d][0] == 0.0 and np.all(np.diff(values[d]) > 0), (d, values[d])


# -- the metric -----------------------------------------------------------------------------------------------
def test_metric_counts_dropped_graphs_breakdown_and_plots():
    from synthaudit.report.plots import marginal_svg

    syn = [{"graph": "0 1\n1 2\n2 0"}, {"graph": '{"directed": false, "multigraph": false, "graph": {}, '
                                                 '"nodes": [], "links": []}'},
           {"graph": "not a graph ((("}, {"graph": "0 1\n1 2\n2 3"}]
    real = [nx.cycle_graph(5), nx.path_graph(4), nx.star_graph(3)]
    inputs = prepare_graph(synthetic=syn, real=real)
    res = graph_mmd(inputs, None)
    assert res.notes["records_syn"] == 4 and res.notes["empty_syn"] == 1 and res.notes["no_graph_syn"] == 1
    assert [r["descriptor"] for r in res.breakdown] == ["degree", "clustering", "orbit", "spectral"]
    row = res.breakdown[1]
    assert (row["kernel"], row["sigma"], row["bins"], row["n_syn"], row["n_real"], row["dropped_empty_syn"]) == \
        ("gaussian_tv", 0.1, 100, 2, 3, 1)
    assert res.value == pytest.approx(np.mean([r["mmd2"] for r in res.breakdown]))
    good = [nx.cycle_graph(3), nx.path_graph(4)]
    for name in ("degree", "clustering", "spectral"):
        f = {"degree": ref_degree, "clustering": ref_clustering, "spectral": ref_spectral}[name]
        assert res.secondary[f"mmd_{name}"] == pytest.approx(
            ref_mmd([f(g) for g in good], [f(g) for g in real], "gaussian_tv",
                    {"degree": 1.0, "clustering": 0.1, "spectral": 1.0}[name]), rel=1e-9, abs=1e-12)
    assert [p["title"].split()[0] for p in res.plots] == ["degree", "clustering", "spectral"]
    for p in res.plots:
        assert len(p["edges"]) == len(p["real"]) + 1 == len(p["synthetic"]) + 1
        assert sum(p["real"]) == pytest.approx(1.0) and sum(p["synthetic"]) == pytest.approx(1.0)
        assert marginal_svg(p).lstrip().startswith("<svg") or "<svg" in marginal_svg(p)


def test_metric_directed_input_and_undefined_and_bad_params():
    d = nx.gnp_random_graph(9, 0.4, seed=1, directed=True)
    res = graph_mmd(prepare_graph(synthetic=[d], real=[d.to_undirected()], directed=True), None)
    assert res.value == 0.0
    res = graph_mmd(prepare_graph(synthetic=[nx.path_graph(3)], real=[nx.path_graph(4)],
                                  params={"graph.mmd": {"estimator": "unbiased"}}), None)
    assert res.value is None and "at least 2" in res.notes["undefined"]
    with pytest.raises(ValueError, match="unknown descriptor"):
        graph_mmd(prepare_graph(synthetic=[nx.path_graph(3)], real=[nx.path_graph(4)],
                                params={"graph.mmd": {"descriptor": ["degrees"]}}), None)
    with pytest.raises(ValueError, match="unknown kernel"):
        graph_mmd(prepare_graph(synthetic=[nx.path_graph(3)], real=[nx.path_graph(4)],
                                params={"graph.mmd": {"kernel": "rbf"}}), None)
